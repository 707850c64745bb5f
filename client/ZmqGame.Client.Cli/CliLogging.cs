using Microsoft.Extensions.Logging;
using NLog;
using NLog.Config;
using NLog.Extensions.Logging;
using NLog.Targets;
using ZmqGame.Hosting;

namespace ZmqGame.Client.Cli;

/// <summary>
/// The log of a <c>client</c> command: what the client library says (a lost link, a reconnect, a session that ended)
/// goes to standard error in ZmqGame's one format: by default its warnings and errors once the command is connected
/// (a connection that cannot be made is the command's own <c>error:</c> line, not a warning before it), everything
/// with <c>-v</c>, so that a call prints only its reply on stdout. <c>--log-format json</c> (or
/// <c>ZMQGAME_LOG_FORMAT=json</c>) makes the lines JSON. Standard output stays the command's own.
/// </summary>
internal sealed class CliLogging
{
    // The environment first (read here, so that a bad value is a usage error of the command), the option wins.
    private bool _json = Read(Environment.GetEnvironmentVariable(LogFormat.EnvironmentVariable), "environment variable " + LogFormat.EnvironmentVariable);

    // Until the command is connected, Error only (see Connected); a field, read by the filter of every event.
    private volatile bool _connected;

    /// <summary>Log Information and Debug too (<c>-v</c>).</summary>
    public bool Verbose { get; private set; }

    /// <summary>
    /// Takes <paramref name="args"/>[<paramref name="i"/>] when it is a logging option (and its value): true when it was.
    /// Throws <see cref="CliApp.UsageException"/> for a format that is neither text nor json.
    /// </summary>
    public bool Parse(string[] args, ref int i)
    {
        switch (args[i])
        {
            case "-v" or "--verbose":
                Verbose = true;
                return true;
            case LogFormat.Option:
                if (i + 1 >= args.Length)
                {
                    throw new CliApp.UsageException($"{LogFormat.Option} needs a value");
                }

                _json = Read(args[++i], "the command line");
                return true;
            default:
                return false;
        }
    }

    /// <summary>A logger factory writing to <paramref name="stderr"/>; dispose it when the command ends.</summary>
    public ILoggerFactory CreateFactory(TextWriter stderr)
    {
        var layout = LogFormat.LayoutFor(_json);
        var configuration = new LoggingConfiguration();
        configuration.AddRule(NLog.LogLevel.Trace, NLog.LogLevel.Fatal, new MethodCallTarget("stderr", (logEvent, _) => stderr.WriteLine(layout.Render(logEvent))));
        var logs = new LogFactory { Configuration = configuration };
        return LoggerFactory.Create(b => b
            .SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Trace)
            .AddFilter(level => level >= (Verbose ? Microsoft.Extensions.Logging.LogLevel.Debug
                : _connected ? Microsoft.Extensions.Logging.LogLevel.Warning : Microsoft.Extensions.Logging.LogLevel.Error))
            .AddProvider(new NLogLoggerProvider(new NLogProviderOptions(), logs)));
    }

    /// <summary>The command is connected: from now on the client library's warnings are logged too.</summary>
    public void Connected() => _connected = true;

    private static bool Read(string? value, string source)
    {
        try
        {
            return LogFormat.IsJson(value, source);
        }
        catch (BadSettingException ex)
        {
            throw new CliApp.UsageException(ex.Message);
        }
    }
}
