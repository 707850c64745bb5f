using ZmqGame.Broker;

namespace ZmqGame.Tests.Support;

/// <summary>An in-process broker on free loopback ports with fast heartbeats.</summary>
internal sealed class BrokerFixture : IDisposable, IAsyncDisposable
{
    /// <param name="configure">Changes to the options.</param>
    /// <param name="time">The broker's clock (a <see cref="ManualTimeProvider"/> for time-based limits); the system's by default.</param>
    public BrokerFixture(Action<BrokerOptions>? configure = null, TimeProvider? time = null)
        : this(configure, time, start: true)
    {
    }

    private BrokerFixture(Action<BrokerOptions>? configure, TimeProvider? time, bool start)
    {
        Options = new BrokerOptions
        {
            Frontend = "tcp://127.0.0.1:0",
            Backend = "tcp://127.0.0.1:0",
            Control = "tcp://127.0.0.1:0",
            // Raw test workers do not heartbeat: keep them alive well past any test step.
            HeartbeatInterval = TimeSpan.FromSeconds(5),
            Liveness = 3,
            RequestTimeout = TimeSpan.FromSeconds(5),
        };
        configure?.Invoke(Options);
        Server = new BrokerHost(Options, timeProvider: time);
        if (!start)
        {
            return;
        }

        try
        {
            Server.Start();
        }
        catch
        {
            Server.Dispose();
            throw;
        }
    }

    /// <summary>A broker started with <see cref="BrokerHost.StartAsync"/> (a WebSocket frontend, when <paramref name="configure"/> sets one).</summary>
    public static async Task<BrokerFixture> StartAsync(Action<BrokerOptions>? configure = null)
    {
        var fixture = new BrokerFixture(configure, time: null, start: false);
        await fixture.Server.StartAsync();
        return fixture;
    }

    /// <summary>The WebSocket frontend's URL (empty without one).</summary>
    public string WebSocket => Server.WebSocketEndpoint;

    public BrokerOptions Options { get; }

    /// <summary>
    /// A broker on endpoints another broker has just released: binding is retried until the operating system (or NetMQ,
    /// which closes sockets in the background) lets it go, within <see cref="Raw.Wait"/>.
    /// </summary>
    public static async Task<BrokerFixture> StartWhenFreeAsync(Action<BrokerOptions> configure)
    {
        var deadline = DateTime.UtcNow + Raw.Wait;
        while (true)
        {
            try
            {
                return new BrokerFixture(configure);
            }
            catch (BrokerBindException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }
        }
    }

    /// <summary>
    /// Stops this broker and starts another on its frontend, backend and control endpoints (as a restart does), once
    /// they are free (<see cref="StartWhenFreeAsync"/>); <paramref name="configure"/> sets anything else.
    /// </summary>
    public Task<BrokerFixture> RestartAsync(Action<BrokerOptions>? configure = null)
    {
        var (frontend, backend, control) = (Frontend, Backend, Control);
        Dispose();
        return StartWhenFreeAsync(o =>
        {
            (o.Frontend, o.Backend, o.Control) = (frontend, backend, control);
            configure?.Invoke(o);
        });
    }

    public BrokerHost Server { get; }

    public string Frontend => Server.FrontendEndpoint;

    public string Backend => Server.BackendEndpoint;

    public string Control => Server.ControlEndpoint;

    public BrokerStats Stats => Server.Stats;

    /// <summary>A raw MDP worker (RFC 7 frames, no ZmqGame library) that has said READY and is idle in the broker.</summary>
    public async Task<NetMQ.Sockets.DealerSocket> RawWorkerAsync(string service)
    {
        var idle = await Server.InvokeAsync(() => Server.Dispatcher.IdleWorkersOf(System.Text.Encoding.UTF8.GetBytes(service)));
        var worker = new NetMQ.Sockets.DealerSocket(Backend);
        Raw.Send(worker, [], Raw.B("MDPW01"), [0x01], Raw.B(service));
        await WaitForIdleWorkers(service, idle + 1);
        return worker;
    }

    public Task WaitForIdleWorkers(string service, int count = 1) =>
        Server.WaitForIdleWorkersAsync(service, count).WaitAsync(Raw.Wait);

    public void Dispose() => Server.Dispose();

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
