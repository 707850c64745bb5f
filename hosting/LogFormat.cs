using System.Globalization;
using System.Text;
using NLog;
using NLog.Config;
using NLog.Layouts;

namespace ZmqGame.Hosting;

/// <summary>
/// ZmqGame's one log line, the same in the broker, the worker host, its supervisor, a worker app and the client CLI:
/// <c>2026-12-06T10:04:05.123Z INFO  ZmqGame.Broker [1001] Broker listening: …</c> (UTC time with milliseconds, the
/// level padded to five characters, the logger, the event id when there is one, the message, the exception), or with
/// <c>Logging:Format=json</c> one JSON object per line: <c>time</c>, <c>level</c>, <c>logger</c>, <c>event</c>,
/// <c>message</c>, <c>properties</c> (the named values of the event's message template) and <c>exception</c>.
/// An nlog.config names it <c>${zmqgame}</c>. Compiled into the broker, the worker library and the client CLI; the
/// settings that choose it are read by <c>LogSetup</c> (and by the client CLI's options).
/// </summary>
internal static class LogFormat
{
    /// <summary>The setting that chooses the format: <c>text</c> (the default) or <c>json</c>.</summary>
    public const string Setting = "Logging:Format";

    /// <summary>The command-line option of every executable for <see cref="Setting"/>.</summary>
    public const string Option = "--log-format";

    /// <summary>The environment variable read when <see cref="Setting"/> is not set (one switch for every process).</summary>
    public const string EnvironmentVariable = "ZMQGAME_LOG_FORMAT";

    /// <summary>The name of the layout in an nlog.config: <c>layout="${zmqgame}"</c>.</summary>
    public const string LayoutName = "zmqgame";

    /// <summary>The timestamp of every line: UTC, ISO-8601, milliseconds.</summary>
    public const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    private static readonly JsonLayout JsonLine = new()
    {
        Attributes =
        {
            new JsonAttribute("time", Layout.FromMethod(e => Time(e), LayoutRenderOptions.ThreadAgnostic)),
            new JsonAttribute("level", Layout.FromMethod(e => e.Level.Name.ToUpperInvariant(), LayoutRenderOptions.ThreadAgnostic)),
            new JsonAttribute("logger", Layout.FromMethod(e => e.LoggerName ?? string.Empty, LayoutRenderOptions.ThreadAgnostic)),
            new JsonAttribute("event", Layout.FromMethod(e => EventId(e) ?? string.Empty, LayoutRenderOptions.ThreadAgnostic)) { Encode = false },
            new JsonAttribute("message", Layout.FromMethod(e => e.FormattedMessage, LayoutRenderOptions.ThreadAgnostic)),
            new JsonAttribute("properties", new JsonLayout
            {
                IncludeEventProperties = true,
                ExcludeProperties = new HashSet<string>(StringComparer.Ordinal) { "EventId", "EventName" },
                RenderEmptyObject = false,
            })
            {
                Encode = false,
            },
            new JsonAttribute("exception", Layout.FromMethod(e => e.Exception?.ToString() ?? string.Empty, LayoutRenderOptions.ThreadAgnostic)),
        },
    };

    private static volatile bool _json;

    /// <summary>Whether <c>${zmqgame}</c> renders JSON in this process (set once at start from the settings).</summary>
    public static bool Json
    {
        get => _json;
        set => _json = value;
    }

    /// <summary>Reads a format given as <paramref name="value"/> (null: text); <paramref name="source"/> names it in the error.</summary>
    public static bool IsJson(string? value, string source) =>
        value is null ? false : Parse(value) ?? throw new BadSettingException(Setting, value, source, "text or json");

    /// <summary>The layout of one line in the given format.</summary>
    public static Layout LayoutFor(bool json) =>
        json ? Layout.FromMethod(JsonLine.Render) : Layout.FromMethod(Text, LayoutRenderOptions.ThreadAgnostic);

    /// <summary>Makes <c>${zmqgame}</c> known to the nlog.config files <paramref name="setup"/>'s factory reads.</summary>
    public static ISetupBuilder Register(ISetupBuilder setup) =>
        setup.SetupExtensions(e => e.RegisterLayoutRenderer(LayoutName, logEvent => Json ? JsonLine.Render(logEvent) : Text(logEvent)));

    /// <summary>One text line (plus the exception's own lines when there is one).</summary>
    public static string Text(LogEventInfo logEvent)
    {
        var line = new StringBuilder(128);
        line.Append(Time(logEvent)).Append(' ')
            .Append(logEvent.Level.Name.ToUpperInvariant().PadRight(5)).Append(' ')
            .Append(logEvent.LoggerName).Append(' ');
        if (EventId(logEvent) is { } id)
        {
            line.Append('[').Append(id).Append("] ");
        }

        line.Append(logEvent.FormattedMessage);
        if (logEvent.Exception is { } exception)
        {
            line.Append(' ').Append(exception);
        }

        return line.ToString();
    }

    private static bool? Parse(string value) => value.Trim().ToUpperInvariant() switch
    {
        "TEXT" => false,
        "JSON" => true,
        _ => null,
    };

    private static string Time(LogEventInfo logEvent) =>
        logEvent.TimeStamp.ToUniversalTime().ToString(TimeFormat, CultureInfo.InvariantCulture);

    // NLog.Extensions.Logging keeps the event id of a logged event as the property "EventId" (none when it is 0).
    private static string? EventId(LogEventInfo logEvent) =>
        logEvent.HasProperties && logEvent.Properties.TryGetValue("EventId", out var id) && id is not null
            ? Convert.ToString(id, CultureInfo.InvariantCulture) is { Length: > 0 } text && text != "0" ? text : null
            : null;
}
