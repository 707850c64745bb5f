using MessagePack;

namespace ZmqGame.Unity.Runner;

/// <summary>Whether MessagePack's dynamic resolver can make a formatter in this process (it cannot without dynamic code).</summary>
internal static class DynamicResolverProbe
{
    /// <summary>"works", or "fails: " and the type of the innermost exception.</summary>
    public static string Try()
    {
        try
        {
            MessagePackSerializer.Serialize(new Probe { Value = 1 }, MessagePackSerializerOptions.Standard);
            return "works";
        }
        catch (Exception ex)
        {
            var cause = ex;
            while (cause.InnerException is { } inner)
            {
                cause = inner;
            }

            return "fails: " + cause.GetType().Name;
        }
    }

    /// <summary>An attributed type with no formatter of its own: only a dynamic resolver serializes it.</summary>
    [MessagePackObject]
    public sealed class Probe
    {
        [Key(0)]
        public int Value { get; set; }
    }
}
