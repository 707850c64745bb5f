using Microsoft.Extensions.Logging;
using NLog;
using NLog.Config;
using NLog.Extensions.Logging;
using NLog.Targets;

namespace ZmqGame.Worker;

/// <summary>
/// Logging of a worker app built by <see cref="WorkerApp.CreateBuilder"/>: NLog, configured by an nlog.config that
/// NLog finds (beside the executable, as the worker host ships one), or else by a built-in configuration: the console,
/// Info and above, one line per event in the worker host's format. An app copied from the README logs its slots,
/// reconnects and handler errors without any file of its own.
/// </summary>
internal static class WorkerAppLogging
{
    /// <summary>The console line: time, level, logger, event id, message, and the exception when there is one.</summary>
    public const string ConsoleLayout =
        "${date:format=yyyy-MM-ddTHH\\:mm\\:ss.fff} ${level:uppercase=true:padding=-5} ${logger:shortName=true} "
        + "[${event-properties:item=EventId}] ${message}${onexception:inner= ${exception:format=tostring}}";

    /// <summary>Adds NLog to <paramref name="logging"/>, with <see cref="DefaultConfiguration"/> when NLog found no configuration.</summary>
    /// <exception cref="InvalidDataException">The nlog.config beside the executable cannot be loaded.</exception>
    public static void AddNLogOrDefault(ILoggingBuilder logging)
    {
        ZmqGame.Hosting.LogConfigurationCheck.Check(AppContext.BaseDirectory);

        // Reading the configuration makes NLog look for its nlog.config (and NLog.config) files; null: none exists.
        if (LogManager.Configuration is null)
        {
            LogManager.Configuration = DefaultConfiguration();
        }

        logging.AddNLog();
    }

    /// <summary>The built-in configuration: Info and above to the console, in <see cref="ConsoleLayout"/>.</summary>
    public static LoggingConfiguration DefaultConfiguration()
    {
        var configuration = new LoggingConfiguration();
        var console = new ConsoleTarget("console") { Layout = ConsoleLayout };
        configuration.AddRule(NLog.LogLevel.Info, NLog.LogLevel.Fatal, console);
        return configuration;
    }
}
