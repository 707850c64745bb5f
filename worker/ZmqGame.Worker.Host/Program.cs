using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NetMQ;
using ZmqGame.Protocol;
using ZmqGame.Worker;
using ZmqGame.Worker.Host;
using ZmqGame.Worker.Host.Supervisor;

// The worker executable: hosts the sample services.
//   ZmqGame.Worker.Host [--broker tcp://localhost:5556] [--slots N] [--service echo,game,lobby]
// Any setting also reads from appsettings.json (section "Worker") and environment (Worker__Broker=...).
// Supervisor mode: ZmqGame.Worker.Host --processes N [--control tcp://127.0.0.1:5557] [worker options…]
// runs N of these worker processes and keeps them running (SIGHUP: rolling reload; SIGTERM: drain all).
if (HostCommandLine.IsHelp(args))
{
    Console.WriteLine(HostCommandLine.Usage);
    return 0;
}

try
{
    HostCommandLine.Check(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine("error: " + ex.Message);
    return 2;
}

Durations.UseForConfiguration();
if (SupervisorHost.IsRequested(args))
{
    return await SupervisorHost.RunAsync(args).ConfigureAwait(false);
}

var serviceSwitch = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
{
    ["--service"] = "Worker:Services",
    [SupervisorHost.ParentPidSwitch] = "Host:ParentPid",
};
WorkerAppBuilder builder;
try
{
    builder = WorkerApp.CreateBuilder(args);
}
catch (InvalidOperationException ex)
{
    // A value in appsettings.json or the environment that is not of its setting's kind.
    Console.Error.WriteLine("error: " + ex.Message);
    return 2;
}

builder.Configuration.AddCommandLine(args, serviceSwitch);
var services = builder.Configuration["Worker:Services"] ?? SampleServices.Default;

WorkerApp app;
try
{
    app = builder.Build();
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine("error: " + ex.Message);
    return 2;
}

await using var appScope = app.ConfigureAwait(false);
var logger = app.Services!.GetRequiredService<ILoggerFactory>().CreateLogger("ZmqGame.Worker.Host");
try
{
    SampleServices.Map(app, services);
}
catch (ArgumentException ex)
{
    HostLog.BadArguments(logger, ex.Message);
    return 2;
}

if (int.TryParse(builder.Configuration["Host:ParentPid"], NumberStyles.None, CultureInfo.InvariantCulture, out var parentPid))
{
    // Started by a supervisor: stop gracefully if it disappears (e.g. SIGKILL), instead of serving on unwatched.
    ParentWatch.Start(parentPid, app.Services!.GetRequiredService<IHostApplicationLifetime>(), logger, TimeProvider.System);
}

await app.RunAsync().ConfigureAwait(false);
HostLog.Exiting(logger, services);
NetMQConfig.Cleanup(block: true);
return 0;

internal static partial class HostLog
{
    [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "Worker host exiting cleanly (services: {Services})")]
    public static partial void Exiting(ILogger logger, string services);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Critical, Message = "Bad arguments: {Message}")]
    public static partial void BadArguments(ILogger logger, string message);
}
