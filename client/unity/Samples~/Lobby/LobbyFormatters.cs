#nullable enable

using System;
using System.Collections.Generic;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;
using ZmqGame.Client;

namespace ZmqGame.Samples.Lobby
{
    /// <summary>
    /// The lobby's MessagePack settings for IL2CPP: its messages' formatters (written by hand here; MessagePack's
    /// <c>mpc</c> generates the same from <c>[MessagePackObject]</c> types), then <see cref="ZmqGameResolver"/>, in
    /// MessagePack's <see cref="StaticCompositeResolver"/>. Nothing is generated at run time.
    /// </summary>
    public static class LobbySerializer
    {
        private static readonly Lazy<MessagePackSerializerOptions> options = new Lazy<MessagePackSerializerOptions>(() =>
        {
            // Once per process, before the first use: a game does this at start-up
            // ([RuntimeInitializeOnLoadMethod]), with every resolver it uses.
            StaticCompositeResolver.Instance.Register(LobbyResolver.Instance, ZmqGameResolver.Instance);
            return MessagePackSerializerOptions.Standard
                .WithResolver(StaticCompositeResolver.Instance)
                .WithSecurity(MessagePackSecurity.UntrustedData);
        });

        /// <summary>What the lobby's client reads and writes its payloads with (<c>ZmqGameClientOptions.SerializerOptions</c>).</summary>
        public static MessagePackSerializerOptions Options => options.Value;
    }

    /// <summary>The formatters of the lobby's messages, each referenced directly (IL2CPP's stripping keeps them).</summary>
    public sealed class LobbyResolver : IFormatterResolver
    {
        private static readonly Dictionary<Type, object> formatters = new Dictionary<Type, object>
        {
            { typeof(Login), new LoginFormatter() },
            { typeof(LoginOk), new LoginOkFormatter() },
            { typeof(Join), new JoinFormatter() },
            { typeof(Joined), new JoinedFormatter() },
            { typeof(Say), new SayFormatter() },
            { typeof(Said), new SaidFormatter() },
            { typeof(ChatLine), new ChatLineFormatter() },
            { typeof(Notice), new NoticeFormatter() },
        };

        private LobbyResolver()
        {
        }

        public static LobbyResolver Instance { get; } = new LobbyResolver();

        public IMessagePackFormatter<T>? GetFormatter<T>() =>
            formatters.TryGetValue(typeof(T), out var formatter) ? (IMessagePackFormatter<T>)formatter : null;
    }

    /// <summary>
    /// A message as a map of its property names, as the worker's <c>[MessagePackObject(true)]</c> records write it:
    /// nil for null, unknown keys skipped, absent keys left at their defaults.
    /// </summary>
    public abstract class MapFormatter<T> : IMessagePackFormatter<T?>
        where T : class
    {
        protected abstract int FieldCount { get; }

        public void Serialize(ref MessagePackWriter writer, T? value, MessagePackSerializerOptions options)
        {
            if (value == null)
            {
                writer.WriteNil();
                return;
            }

            writer.WriteMapHeader(FieldCount);
            WriteFields(ref writer, value);
        }

        public T? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
        {
            if (reader.TryReadNil())
            {
                return null;
            }

            options.Security.DepthStep(ref reader);
            var value = Create();
            var count = reader.ReadMapHeader();
            for (var i = 0; i < count; i++)
            {
                var key = reader.ReadString() ?? string.Empty;
                if (!ReadField(ref reader, key, value))
                {
                    reader.Skip();
                }
            }

            reader.Depth--;
            return value;
        }

        /// <summary>A new message with its defaults (a plain constructor call: nothing for IL2CPP to strip).</summary>
        protected abstract T Create();

        /// <summary>Writes <see cref="FieldCount"/> keys and values.</summary>
        protected abstract void WriteFields(ref MessagePackWriter writer, T value);

        /// <summary>Reads the value of <paramref name="key"/> into <paramref name="value"/>; false for a key it does not know.</summary>
        protected abstract bool ReadField(ref MessagePackReader reader, string key, T value);

        protected static string ReadText(ref MessagePackReader reader) => reader.ReadString() ?? string.Empty;
    }

    public sealed class LoginFormatter : MapFormatter<Login>
    {
        protected override Login Create() => new Login();

        protected override int FieldCount => 1;

        protected override void WriteFields(ref MessagePackWriter writer, Login value)
        {
            writer.Write("Name");
            writer.Write(value.Name);
        }

        protected override bool ReadField(ref MessagePackReader reader, string key, Login value)
        {
            switch (key)
            {
                case "Name": value.Name = ReadText(ref reader); return true;
                default: return false;
            }
        }
    }

    public sealed class LoginOkFormatter : MapFormatter<LoginOk>
    {
        protected override LoginOk Create() => new LoginOk();

        protected override int FieldCount => 2;

        protected override void WriteFields(ref MessagePackWriter writer, LoginOk value)
        {
            writer.Write("User");
            writer.Write(value.User);
            writer.Write("Session");
            writer.Write(value.Session);
        }

        protected override bool ReadField(ref MessagePackReader reader, string key, LoginOk value)
        {
            switch (key)
            {
                case "User": value.User = ReadText(ref reader); return true;
                case "Session": value.Session = reader.ReadUInt64(); return true;
                default: return false;
            }
        }
    }

    public sealed class JoinFormatter : MapFormatter<Join>
    {
        protected override Join Create() => new Join();

        protected override int FieldCount => 1;

        protected override void WriteFields(ref MessagePackWriter writer, Join value)
        {
            writer.Write("Room");
            writer.Write(value.Room);
        }

        protected override bool ReadField(ref MessagePackReader reader, string key, Join value)
        {
            switch (key)
            {
                case "Room": value.Room = ReadText(ref reader); return true;
                default: return false;
            }
        }
    }

    public sealed class JoinedFormatter : MapFormatter<Joined>
    {
        protected override Joined Create() => new Joined();

        protected override int FieldCount => 2;

        protected override void WriteFields(ref MessagePackWriter writer, Joined value)
        {
            writer.Write("Room");
            writer.Write(value.Room);
            writer.Write("Members");
            writer.WriteArrayHeader(value.Members.Length);
            foreach (var member in value.Members)
            {
                writer.Write(member);
            }
        }

        protected override bool ReadField(ref MessagePackReader reader, string key, Joined value)
        {
            switch (key)
            {
                case "Room":
                    value.Room = ReadText(ref reader);
                    return true;
                case "Members":
                    var members = reader.TryReadNil() ? Array.Empty<string>() : new string[reader.ReadArrayHeader()];
                    for (var i = 0; i < members.Length; i++)
                    {
                        members[i] = ReadText(ref reader);
                    }

                    value.Members = members;
                    return true;
                default:
                    return false;
            }
        }
    }

    public sealed class SayFormatter : MapFormatter<Say>
    {
        protected override Say Create() => new Say();

        protected override int FieldCount => 2;

        protected override void WriteFields(ref MessagePackWriter writer, Say value)
        {
            writer.Write("Room");
            writer.Write(value.Room);
            writer.Write("Text");
            writer.Write(value.Text);
        }

        protected override bool ReadField(ref MessagePackReader reader, string key, Say value)
        {
            switch (key)
            {
                case "Room": value.Room = ReadText(ref reader); return true;
                case "Text": value.Text = ReadText(ref reader); return true;
                default: return false;
            }
        }
    }

    public sealed class SaidFormatter : MapFormatter<Said>
    {
        protected override Said Create() => new Said();

        protected override int FieldCount => 2;

        protected override void WriteFields(ref MessagePackWriter writer, Said value)
        {
            writer.Write("Room");
            writer.Write(value.Room);
            writer.Write("Members");
            writer.Write(value.Members);
        }

        protected override bool ReadField(ref MessagePackReader reader, string key, Said value)
        {
            switch (key)
            {
                case "Room": value.Room = ReadText(ref reader); return true;
                case "Members": value.Members = reader.ReadInt32(); return true;
                default: return false;
            }
        }
    }

    public sealed class ChatLineFormatter : MapFormatter<ChatLine>
    {
        protected override ChatLine Create() => new ChatLine();

        protected override int FieldCount => 3;

        protected override void WriteFields(ref MessagePackWriter writer, ChatLine value)
        {
            writer.Write("Room");
            writer.Write(value.Room);
            writer.Write("From");
            writer.Write(value.From);
            writer.Write("Text");
            writer.Write(value.Text);
        }

        protected override bool ReadField(ref MessagePackReader reader, string key, ChatLine value)
        {
            switch (key)
            {
                case "Room": value.Room = ReadText(ref reader); return true;
                case "From": value.From = ReadText(ref reader); return true;
                case "Text": value.Text = ReadText(ref reader); return true;
                default: return false;
            }
        }
    }

    public sealed class NoticeFormatter : MapFormatter<Notice>
    {
        protected override Notice Create() => new Notice();

        protected override int FieldCount => 3;

        protected override void WriteFields(ref MessagePackWriter writer, Notice value)
        {
            writer.Write("Room");
            writer.Write(value.Room);
            writer.Write("User");
            writer.Write(value.User);
            writer.Write("What");
            writer.Write(value.What);
        }

        protected override bool ReadField(ref MessagePackReader reader, string key, Notice value)
        {
            switch (key)
            {
                case "Room": value.Room = ReadText(ref reader); return true;
                case "User": value.User = ReadText(ref reader); return true;
                case "What": value.What = ReadText(ref reader); return true;
                default: return false;
            }
        }
    }
}
