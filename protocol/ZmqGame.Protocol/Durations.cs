using System.ComponentModel;
using System.Globalization;

namespace ZmqGame.Protocol;

/// <summary>
/// The one duration syntax of every ZmqGame program, on the command line and in appsettings.json:
/// <c>250ms</c>, <c>5s</c>, <c>1m</c> (a decimal number, invariant culture, and a unit), or <c>hh:mm:ss</c>
/// (TimeSpan's constant format, <c>[d.]hh:mm:ss[.fffffff]</c>). Negative durations are refused; range checks belong
/// to the setting that takes the value.
/// </summary>
public static class Durations
{
    /// <summary>The accepted forms, for usage text and error messages.</summary>
    public const string Syntax = "250ms, 5s, 1m or hh:mm:ss";

    /// <summary>Reads <paramref name="text"/> as a duration; false when it is not one.</summary>
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (text is null)
        {
            return false;
        }

        text = text.Trim();
        if (text.Length == 0)
        {
            return false;
        }

        if (text.Contains(':', StringComparison.Ordinal))
        {
            return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value) && value >= TimeSpan.Zero;
        }

        double scale;
        string number;
        if (text.EndsWith("ms", StringComparison.Ordinal))
        {
            scale = TimeSpan.TicksPerMillisecond;
            number = text[..^2];
        }
        else if (text.EndsWith('s'))
        {
            scale = TimeSpan.TicksPerSecond;
            number = text[..^1];
        }
        else if (text.EndsWith('m'))
        {
            scale = TimeSpan.TicksPerMinute;
            number = text[..^1];
        }
        else
        {
            return false;
        }

        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
        {
            return false;
        }

        var ticks = Math.Round(amount * scale);
        if (ticks > TimeSpan.MaxValue.Ticks)
        {
            return false;
        }

        value = TimeSpan.FromTicks((long)ticks);
        return true;
    }

    /// <summary>Reads <paramref name="text"/> as a duration; throws <see cref="FormatException"/> naming the syntax when it is not one.</summary>
    public static TimeSpan Parse(string text) =>
        TryParse(text, out var value) ? value : throw new FormatException($"'{text}' is not a duration ({Syntax})");

    /// <summary>
    /// Makes configuration binding (Microsoft.Extensions.Configuration.Binder) read every <see cref="TimeSpan"/>
    /// setting with this syntax. Process-wide and idempotent; call it before binding options.
    /// </summary>
    public static void UseForConfiguration()
    {
        if (TypeDescriptor.GetConverter(typeof(TimeSpan)) is not DurationConverter)
        {
            TypeDescriptor.AddAttributes(typeof(TimeSpan), new TypeConverterAttribute(typeof(DurationConverter)));
        }
    }

    /// <summary>The <see cref="TimeSpan"/> converter that configuration binding uses once <see cref="UseForConfiguration"/> ran.</summary>
    internal sealed class DurationConverter : TimeSpanConverter
    {
        public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) =>
            value is string text ? Parse(text) : base.ConvertFrom(context, culture, value);
    }
}
