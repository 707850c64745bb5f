using MessagePack;
using MessagePack.Formatters;

namespace ZmqGame.Protocol;

/// <summary>
/// Reads and writes <see cref="Welcome"/>'s map by hand, with no formatter made at run time, so that clients built
/// ahead of time (Unity IL2CPP) read it: every key, in this order, as the attribute-based formatter wrote it before
/// (the bytes are the same); unknown keys are skipped, absent keys keep their defaults, nil is no WELCOME.
/// </summary>
internal sealed class WelcomeFormatter : IMessagePackFormatter<Welcome?>
{
    public const string SessionKey = "session";
    public const string ResumedKey = "resumed";
    public const string TimeoutKey = "timeout_ms";
    public const string UserKey = "user";
    public const string FlagsKey = "flags";
    public const string GroupsKey = "groups";
    public const string MaxMessageSizeKey = "max_message_size";
    public const string IdempotentKey = "idempotent";

    /// <summary>The one instance (the formatter holds no state).</summary>
    public static readonly WelcomeFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, Welcome? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        writer.WriteMapHeader(8);
        writer.Write(SessionKey);
        writer.Write(value.Session);
        writer.Write(ResumedKey);
        writer.Write(value.Resumed);
        writer.Write(TimeoutKey);
        writer.Write(value.TimeoutMs);
        writer.Write(UserKey);
        writer.Write(value.User);
        writer.Write(FlagsKey);
        writer.Write(value.Flags);
        writer.Write(GroupsKey);
        WriteStrings(ref writer, value.Groups);
        writer.Write(MaxMessageSizeKey);
        writer.Write(value.MaxMessageSize);
        writer.Write(IdempotentKey);
        if (value.Idempotent is null)
        {
            writer.WriteNil();
        }
        else
        {
            writer.WriteMapHeader(value.Idempotent.Count);
            foreach (var (service, commands) in value.Idempotent)
            {
                writer.Write(service);
                WriteInts(ref writer, commands);
            }
        }
    }

    public Welcome? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        options.Security.DepthStep(ref reader);
        var welcome = new Welcome();
        var count = reader.ReadMapHeader();
        for (var i = 0; i < count; i++)
        {
            switch (reader.ReadString())
            {
                case SessionKey:
                    welcome.Session = reader.ReadUInt64();
                    break;
                case ResumedKey:
                    welcome.Resumed = reader.ReadBoolean();
                    break;
                case TimeoutKey:
                    welcome.TimeoutMs = reader.ReadUInt32();
                    break;
                case UserKey:
                    welcome.User = reader.ReadString();
                    break;
                case FlagsKey:
                    welcome.Flags = reader.ReadUInt64();
                    break;
                case GroupsKey:
                    welcome.Groups = ReadStrings(ref reader, options);
                    break;
                case MaxMessageSizeKey:
                    welcome.MaxMessageSize = reader.ReadUInt32();
                    break;
                case IdempotentKey:
                    welcome.Idempotent = ReadIdempotent(ref reader, options);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        reader.Depth--;
        return welcome;
    }

    private static void WriteStrings(ref MessagePackWriter writer, string[]? values)
    {
        if (values is null)
        {
            writer.WriteNil();
            return;
        }

        writer.WriteArrayHeader(values.Length);
        foreach (var value in values)
        {
            writer.Write(value);
        }
    }

    private static void WriteInts(ref MessagePackWriter writer, int[]? values)
    {
        if (values is null)
        {
            writer.WriteNil();
            return;
        }

        writer.WriteArrayHeader(values.Length);
        foreach (var value in values)
        {
            writer.Write(value);
        }
    }

    private static string[]? ReadStrings(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        options.Security.DepthStep(ref reader);
        var values = new string[reader.ReadArrayHeader()];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = reader.ReadString() ?? string.Empty;
        }

        reader.Depth--;
        return values;
    }

    private static int[]? ReadInts(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        options.Security.DepthStep(ref reader);
        var values = new int[reader.ReadArrayHeader()];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = reader.ReadInt32();
        }

        reader.Depth--;
        return values;
    }

    private static Dictionary<string, int[]>? ReadIdempotent(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        options.Security.DepthStep(ref reader);
        var count = reader.ReadMapHeader();
        // Keys from the network: the security settings' collision-resistant comparer, as MessagePack's own dictionaries use.
        var map = new Dictionary<string, int[]>(options.Security.GetEqualityComparer<string>());
        for (var i = 0; i < count; i++)
        {
            var service = reader.ReadString() ?? string.Empty;
            map[service] = ReadInts(ref reader, options) ?? [];
        }

        reader.Depth--;
        return map;
    }
}
