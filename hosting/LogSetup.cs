using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.Logging;
using NLog;
using NLog.Config;
using NLog.Extensions.Logging;
using NLog.Targets;

namespace ZmqGame.Hosting;

/// <summary>
/// The logging of a ZmqGame process (broker, worker host, supervisor, any worker app): NLog, configured by the
/// nlog.config beside the executable when there is one, else by <see cref="DefaultConfiguration"/> (the console, every
/// event the levels let through, in <see cref="LogFormat"/>). The levels are the <c>Logging:LogLevel</c> section of the
/// settings (appsettings.json, environment, <c>--Logging:LogLevel:Default Debug</c>): Information by default,
/// <c>Microsoft.*</c> Warning. Compiled into the broker and the worker library.
/// </summary>
internal static class LogSetup
{
    /// <summary>The levels used when the settings name none.</summary>
    private static readonly Dictionary<string, string?> DefaultLevels = new(StringComparer.Ordinal)
    {
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft"] = "Warning",
    };

    /// <summary>
    /// Adds the default levels under every other source of <paramref name="configuration"/>, so that any setting
    /// overrides them.
    /// </summary>
    public static void AddDefaultLevels(IConfigurationBuilder configuration) =>
        configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = DefaultLevels });

    /// <summary>
    /// The format the settings ask for: <see cref="LogFormat.Setting"/> (appsettings.json, environment,
    /// <c>--log-format</c>), else the environment variable <see cref="LogFormat.EnvironmentVariable"/>, else text.
    /// </summary>
    /// <returns>True for JSON lines.</returns>
    /// <exception cref="BadSettingException">The value is neither text nor json (the message names its source).</exception>
    public static bool IsJson(IConfiguration configuration) =>
        configuration[LogFormat.Setting] is { } value
            ? LogFormat.IsJson(value, ConfigurationCheck.SourceOf(configuration, LogFormat.Setting))
            : LogFormat.IsJson(Environment.GetEnvironmentVariable(LogFormat.EnvironmentVariable), "environment variable " + LogFormat.EnvironmentVariable);

    /// <summary>
    /// Chooses the format from <paramref name="configuration"/>, checks the nlog.config in <paramref name="directory"/>
    /// and makes NLog the only provider of <paramref name="logging"/>.
    /// </summary>
    /// <exception cref="BadSettingException"><c>Logging:Format</c> is neither text nor json.</exception>
    /// <exception cref="InvalidDataException">The nlog.config in <paramref name="directory"/> cannot be loaded.</exception>
    public static void Configure(ILoggingBuilder logging, IConfiguration configuration, string directory)
    {
        LogFormat.Json = IsJson(configuration);
        LogConfigurationCheck.Check(directory);
        LogFormat.Register(LogManager.Setup());
        var file = Path.Combine(directory, LogConfigurationCheck.FileName);
        LogManager.Configuration = File.Exists(file) ? new XmlLoggingConfiguration(file) : DefaultConfiguration(LogFormat.Json);
        logging.ClearProviders();

        // The Logging:LogLevel section decides the levels (NLog's provider would otherwise drop it for its own rules).
        logging.AddNLog(new NLogProviderOptions { RemoveLoggerFactoryFilter = false });
    }

    /// <summary>The built-in configuration: every event to the console (standard output), one line each.</summary>
    public static LoggingConfiguration DefaultConfiguration(bool json)
    {
        var configuration = new LoggingConfiguration();
        var console = new ConsoleTarget("console") { Layout = LogFormat.LayoutFor(json) };
        configuration.AddRule(NLog.LogLevel.Trace, NLog.LogLevel.Fatal, console);
        return configuration;
    }
}
