using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ZmqGame.Broker;
using ZmqGame.Broker.Http;
using ZmqGame.Hosting;
using ZmqGame.Hosting.Http;
using ZmqGame.Protocol;

// For the endpoints NetMQ serves (control, CURVE, and all of them without epoll or with ZMQGAME_TRANSPORT=netmq):
// run .NET socket completions on the epoll thread instead of handing each to the thread pool, one thread hand-off
// less per message. Set before the first socket exists; an explicit
// DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0 in the environment wins.
const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
if (Environment.GetEnvironmentVariable(InlineCompletions) is null)
{
    Environment.SetEnvironmentVariable(InlineCompletions, "1");
}

if (BrokerCommandLine.IsHelp(args))
{
    Console.WriteLine("""
        zmqgame-broker: the ZmqGame broker (MDP/0.1 + ZmqGame extensions)

        usage: ZmqGame.Broker [FRONTEND BACKEND] [--option value]...

          --frontend EP            clients connect here            (default tcp://*:5555)
          --backend EP             workers connect here            (default tcp://*:5556)
          --control EP             trigger/admin connect here      (default tcp://127.0.0.1:5557)
          --heartbeat-interval T   heartbeat period                (default 2500ms)
          --liveness N             missed heartbeats before a worker is removed (default 3)
          --request-timeout T      longest wait for an idle worker (default 10s)
          --max-queued N           waiting requests per service    (default 10000)
          --max-message-size N     largest inbound message, bytes  (default 1048576)
          --session-timeout T      a silent client session expires (default 10s)
          --session-key-file PATH  key that signs resume tickets, created if missing;
                                   relative to the broker's folder (default session.key
                                   from appsettings.json; empty: no resume across restarts)
          --event-timeout T        longest a session event waits for a worker (default 1m)
          --server-secret-key Z85  CURVE key pair of the broker (control endpoint; see
                                   Broker:Security in appsettings.json for trigger keys)
          --frontend-curve true    clients must use CURVE with the broker's public key
          --session-rps N          requests/s per client session (MDP: per connection);
                                   more are answered rate limited (default 0: no limit)
          --session-burst N        requests a session may send at once (default: N of --session-rps)
          --ip-connections-per-second N  new frontend connections/s per IP (default 0: no limit)
          --ip-max-connections N   open frontend connections per IP (default 0: no limit)
          --cluster URLS           join a broker cluster through NATS with JetStream
                                   (nats://host:4222, comma-separated; default: none)
          --cluster-name NAME      the cluster's name (default zmqgame); see docs/cluster.md
          --http URL               serve /metrics, /healthz and /readyz over HTTP, e.g.
                                   http://127.0.0.1:9090 (port 0: a free one; default: off),
                                   and the admin console at / (README, "Admin console")
          --admin-token TOKEN      the admin console needs this bearer token (default: none,
                                   and then it answers loopback clients only)
          --websocket URL          also take clients over WebSocket (ZWS 2.0), e.g.
                                   ws://*:5580 (port 0: a free one; default: off)
          --websocket-certificate PATH  certificate (.pfx, or PEM with its key) of a
                                   wss:// URL (password: Broker:WebSocketCertificatePassword)
          --log-format F           log lines as text (default) or json: one JSON object per
                                   line (also Logging:Format, ZMQGAME_LOG_FORMAT; levels:
                                   --Logging:LogLevel:Default Debug; docs/operations.md, "Logs")
          --probe URL              start nothing: GET URL (e.g. http://127.0.0.1:9090/healthz)
                                   and exit 0 on a 2xx answer, else 1 (a container HEALTHCHECK)

        Every option can also be set in appsettings.json (section "Broker") or as an
        environment variable ZMQGAME_Broker__Frontend=... , and any key as --Broker:Key value.
        Two positional endpoints are taken as FRONTEND and BACKEND. A duration T is 250ms,
        5s, 1m or hh:mm:ss, here and in appsettings.json. An unknown option or a bad value
        is one line on stderr and exit code 2; an endpoint that cannot be bound, exit code 1.
        Conventions of every ZmqGame program: README.md, "Command-line conventions".
        """);
    return 0;
}

if (HttpProbe.IsRequested(args))
{
    return await HttpProbe.RunAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
}

string[] commandLine;
try
{
    commandLine = BrokerCommandLine.Normalize(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine("error: " + ex.Message);
    return 2;
}

HostApplicationBuilder builder;
BrokerOptions options;
try
{
    builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
    {
        ContentRootPath = AppContext.BaseDirectory,
        Args = [],
    });
    builder.Configuration.AddEnvironmentVariables("ZMQGAME_");
    builder.Configuration.AddCommandLine(commandLine, BrokerCommandLine.Switches);
    LogSetup.AddDefaultLevels(builder.Configuration);

    // A value in appsettings.json, the environment or a --Broker:Key option that is not of its setting's kind, or
    // an endpoint no socket can take: one line naming the setting and where it came from.
    options = ConfigurationCheck.Bind(builder.Configuration, BrokerOptions.Section, new BrokerOptions());
    BrokerCommandLine.CheckEndpoints(builder.Configuration, options);
    LogSetup.Configure(builder.Logging, builder.Configuration, AppContext.BaseDirectory);
}
catch (InvalidDataException ex)
{
    // appsettings.json that is not JSON, or an nlog.config that NLog cannot load.
    Console.Error.WriteLine("error: " + ConfigurationCheck.Describe(ex));
    return 2;
}
catch (InvalidOperationException ex)
{
    Console.Error.WriteLine("error: " + ex.Message);
    return 2;
}

builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5) + (options.IsLameDuck ? options.LameDuckTimeout : TimeSpan.Zero));

if (options.SessionKeyFile.Length > 0 && !Path.IsPathRooted(options.SessionKeyFile))
{
    options.SessionKeyFile = Path.Combine(AppContext.BaseDirectory, options.SessionKeyFile);
}

try
{
    options.Validate();
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine("error: " + ex.Message);
    return 2;
}

builder.Services.AddSingleton(options);
builder.Services.AddSingleton<BrokerHostedService>();
if (options.Http.Enabled)
{
    // Registered first: started before the broker binds, stopped after it (hosted services stop in reverse order).
    builder.Services.AddHostedService<BrokerHttp>();
}

builder.Services.AddHostedService(services => services.GetRequiredService<BrokerHostedService>());
using var host = builder.Build();

// SIGTERM/SIGINT stop the broker gracefully from the moment it binds, even before the host runs.
using var stopping = new CancellationTokenSource();
using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
try
{
    // Bind before the host runs, so a taken port or a bad endpoint is one clear line and exit code 1; the HTTP
    // endpoint first, so that /readyz answers while the broker joins its cluster.
    if (host.Services.GetRequiredService<IEnumerable<IHostedService>>().OfType<BrokerHttp>().SingleOrDefault() is { } http)
    {
        await http.StartAsync(stopping.Token).ConfigureAwait(false);
    }

    await host.Services.GetRequiredService<IEnumerable<IHostedService>>().OfType<BrokerHostedService>().Single().BindAsync(stopping.Token).ConfigureAwait(false);
    await host.RunAsync(stopping.Token).ConfigureAwait(false);
}
catch (OperationCanceledException) when (stopping.IsCancellationRequested)
{
    // Stopped by a signal before the host finished starting: the broker is disposed with the host.
}
catch (BrokerBindException ex)
{
    Console.Error.WriteLine("error: " + ex.Message);
    return 1;
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine("error: " + ex.Message);
    return 2;
}
catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine("error: cannot use the session key file: " + ex.Message);
    return 1;
}
finally
{
    NLog.LogManager.Shutdown();
}

return 0;

void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stopping.Cancel();
}
