using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NetMQ;
using ZmqGame.Hosting;
using ZmqGame.Hosting.Http;
using ZmqGame.Protocol;
using ZmqGame.Worker;
using ZmqGame.Worker.Host;
using ZmqGame.Worker.Host.Http;
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

if (HttpProbe.IsRequested(args))
{
    return await HttpProbe.RunAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
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

if (SupervisorHost.IsRequested(args))
{
    return await SupervisorHost.RunAsync(args).ConfigureAwait(false);
}

var serviceSwitch = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
{
    [HostCommandLine.ServiceSwitch] = HostCommandLine.ServicesKey,
    [SupervisorHost.ParentPidSwitch] = "Host:ParentPid",
    [HostCommandLine.HttpSwitch] = "Worker:Http:Url",
};
WorkerAppBuilder builder;
WorkerApp app;
try
{
    // A value in appsettings.json, the environment or the command line that is not of its setting's kind or out of
    // range, or an unknown service: one line naming the setting and where it came from.
    builder = WorkerApp.CreateBuilder(args);
    builder.Configuration.AddCommandLine(args, serviceSwitch);
    HostCommandLine.CheckServices(builder.Configuration);
    WorkerHttp.AddTo(builder);
    app = builder.Build();
}
catch (InvalidDataException ex)
{
    // appsettings.json that is not JSON.
    Console.Error.WriteLine("error: " + ConfigurationCheck.Describe(ex));
    return 2;
}
catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
{
    Console.Error.WriteLine("error: " + ex.Message);
    return 2;
}

var services = builder.Configuration[HostCommandLine.ServicesKey] ?? SampleServices.Default;

await using var appScope = app.ConfigureAwait(false);
var logger = app.Services!.GetRequiredService<ILoggerFactory>().CreateLogger("ZmqGame.Worker.Host");
SampleServices.Map(app, services);

if (int.TryParse(builder.Configuration["Host:ParentPid"], NumberStyles.None, CultureInfo.InvariantCulture, out var parentPid))
{
    // Started by a supervisor: stop gracefully if it disappears (e.g. SIGKILL), instead of serving on unwatched.
    ParentWatch.Start(parentPid, app.Services!.GetRequiredService<IHostApplicationLifetime>(), logger, TimeProvider.System);
}

try
{
    await app.RunAsync().ConfigureAwait(false);
}
catch (Exception ex) when (ex is not OperationCanceledException)
{
    // Not a usage error: something failed while serving. Logged whole once, and one line for whoever started us.
    HostLog.Failed(logger, ex);
    Console.Error.WriteLine($"error: the worker host failed: {ex.GetType().Name}: {ex.Message}");
    NetMQConfig.Cleanup(block: false);
    return 1;
}

HostLog.Exiting(logger, services);
NetMQConfig.Cleanup(block: true);
return 0;

internal static partial class HostLog
{
    [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "Worker host exiting cleanly (services: {Services})")]
    public static partial void Exiting(ILogger logger, string services);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Critical, Message = "Worker host failed while serving")]
    public static partial void Failed(ILogger logger, Exception exception);
}
