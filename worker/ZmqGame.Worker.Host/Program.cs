using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NetMQ;
using ZmqGame.Worker;
using ZmqGame.Worker.Host;

// The worker executable: hosts the sample services.
//   ZmqGame.Worker.Host [--broker tcp://localhost:5556] [--slots N] [--service echo,game]
// Any setting also reads from appsettings.json (section "Worker") and environment (Worker__Broker=...).
var serviceSwitch = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["--service"] = "Worker:Services" };
var builder = WorkerApp.CreateBuilder(args);
builder.Configuration.AddCommandLine(args, serviceSwitch);
var services = builder.Configuration["Worker:Services"] ?? SampleServices.Default;

var app = builder.Build();
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
