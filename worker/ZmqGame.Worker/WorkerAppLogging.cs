using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using ZmqGame.Hosting;

namespace ZmqGame.Worker;

/// <summary>
/// Logging of a worker app built by <see cref="WorkerApp.CreateBuilder"/>: NLog, in ZmqGame's one format (the
/// broker's, the worker host's). Out of the box, with no file of its own, an app logs Information and above to the
/// console; the <c>Logging:LogLevel</c> section of its settings changes the levels, <c>Logging:Format=json</c> (or
/// <c>--log-format json</c>, or <c>ZMQGAME_LOG_FORMAT=json</c>) makes the lines JSON, and an nlog.config beside the
/// executable replaces the console output altogether (it may use the format as <c>${zmqgame}</c>).
/// </summary>
internal static class WorkerAppLogging
{
    /// <summary>Adds the default levels under <paramref name="configuration"/>'s sources and makes NLog the provider.</summary>
    /// <exception cref="BadSettingException"><c>Logging:Format</c> is neither text nor json.</exception>
    /// <exception cref="InvalidDataException">The nlog.config beside the executable cannot be loaded.</exception>
    public static void AddNLogOrDefault(ILoggingBuilder logging, ConfigurationManager configuration)
    {
        LogSetup.AddDefaultLevels(configuration);
        LogSetup.Configure(logging, configuration, AppContext.BaseDirectory);
    }
}
