using ZmqGame.Client;
using ZmqGame.Tests.Broker;
using ZmqGame.Tests.Support;
using ZmqGame.Worker;

namespace ZmqGame.Tests.EndToEnd;

/// <summary>
/// Broker processes on free ports, either sharing one session key file (<see cref="Engine.KeyFile"/>, each with a worker
/// of its own) or joined in a cluster on a real nats-server (<see cref="Engine.Nats"/>, with one worker attached to
/// every broker), serving the <c>game</c> service of <see cref="FailoverRoutes"/> (the workers run in this process: they
/// count what their handlers ran). A broker can be killed, stopped with SIGTERM and started again on its endpoints.
/// </summary>
internal sealed class BrokerCluster : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly string _keyFile = Path.Combine(Path.GetTempPath(), "zmqgame-cluster-key-" + Guid.NewGuid().ToString("N"));
    private readonly string[] _extraArgs;
    private readonly Node[] _nodes;
    private readonly Engine _engine;
    private NatsServer? _nats;
    private WorkerApp? _sharedWorker;
    private FailoverRoutes? _sharedRoutes;

    private BrokerCluster(int count, Engine engine, string[] extraArgs)
    {
        _engine = engine;
        _extraArgs = extraArgs;
        _nodes = new Node[count];
    }

    /// <summary>How the brokers share sessions.</summary>
    public enum Engine
    {
        /// <summary>One session key file, no cluster: a worker per broker.</summary>
        KeyFile,

        /// <summary>A cluster on a real nats-server (<c>--cluster</c>): one worker attached to every broker.</summary>
        Nats,
    }

    /// <summary>Handler runs of the idempotent route, over every worker.</summary>
    public long IdempotentRuns => (_sharedRoutes?.IdempotentRuns ?? 0) + _nodes.Sum(n => n.Routes?.IdempotentRuns ?? 0);

    /// <summary>Holds the idempotent route's runs in broker <paramref name="i"/>'s own worker (<see cref="Engine.KeyFile"/>: a worker per broker).</summary>
    public FailoverRoutes.Hold HoldIdempotentOn(int i) => _nodes[i].Routes!.HoldIdempotent();

    /// <summary>Every broker's frontend, comma-separated, as clients take them.</summary>
    public string Frontends => string.Join(",", _nodes.Select(n => n.Frontend));

    public int Count => _nodes.Length;

    public static Task<BrokerCluster> StartAsync(int count, params string[] extraArgs) => StartAsync(count, Engine.KeyFile, extraArgs);

    public static async Task<BrokerCluster> StartAsync(int count, Engine engine, params string[] extraArgs)
    {
        var cluster = new BrokerCluster(count, engine, extraArgs);
        try
        {
            if (engine == Engine.Nats)
            {
                cluster._nats = await NatsServer.StartAsync();
            }

            for (var i = 0; i < count; i++)
            {
                cluster._nodes[i] = new Node();
                await cluster.StartBrokerAsync(i, "tcp://127.0.0.1:0", "tcp://127.0.0.1:0", "tcp://127.0.0.1:0");
            }

            if (engine == Engine.Nats)
            {
                // One worker process's slots on every broker: capacity shared, never stranded.
                cluster._sharedWorker = CreateWorker(string.Join(",", cluster._nodes.Select(n => n.Backend)));
                cluster._sharedRoutes = FailoverRoutes.Map(cluster._sharedWorker);
                await cluster._sharedWorker.StartAsync();
                foreach (var node in cluster._nodes)
                {
                    await node.Broker!.WaitForLineAsync("ready for service game", Patience);
                }
            }
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    public string Frontend(int i) => _nodes[i].Frontend;

    /// <summary>The cluster's nats-server (<see cref="Engine.Nats"/> only).</summary>
    public NatsServer Nats => _nats ?? throw new InvalidOperationException("this cluster shares a key file, not NATS");

    public ProcessUnderTest Process(int i) => _nodes[i].Broker!;

    /// <summary>kill -9 of broker <paramref name="i"/>.</summary>
    public async Task KillAsync(int i)
    {
        var node = _nodes[i];
        node.Broker!.Kill();
        await node.Broker.WaitForExitAsync(Patience);
    }

    /// <summary>SIGTERM to broker <paramref name="i"/>; returns its exit code once it has exited.</summary>
    public async Task<int> TerminateAsync(int i)
    {
        var node = _nodes[i];
        node.Broker!.Terminate();
        return await node.Broker.WaitForExitAsync(Patience);
    }

    /// <summary>Starts broker <paramref name="i"/> again on its endpoints and waits until its worker is back.</summary>
    public async Task RestartAsync(int i)
    {
        var node = _nodes[i];
        node.Broker?.Dispose();
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var broker = StartBrokerProcess(node.Frontend, node.Backend, node.Control);
            var listening = new System.Text.RegularExpressions.Regex(BrokerProcessTests.ListeningLine);
            await Eventually.True(() => broker.HasExited || broker.Lines.Any(listening.IsMatch), "the broker listens or exits", Patience);
            if (!broker.HasExited)
            {
                node.Broker = broker;
                break;
            }

            // The port was not free yet: the operating system releases it a moment after the old process went.
            broker.Dispose();
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "broker could not bind its endpoints again: " + broker.Output);
            await Task.Delay(50);
        }

        await node.Broker.WaitForLineAsync("ready for service game", Patience);

        // As a rolling restart's readiness check does: go on once the broker answers a client (its first session and
        // request, the slowest it serves, are behind it; the clients that move to it next are not left for being slow).
        await using var probe = await ZmqGameClient.ConnectAsync(node.Frontend, FailoverLoad.Options());
        var work = new FailoverRoutes.Work(0, 0);
        Assert.That(await probe.RequestAsync<FailoverRoutes.Work, FailoverRoutes.Work>("game", FailoverRoutes.Once, work, Patience), Is.EqualTo(work));
    }

    public async ValueTask DisposeAsync()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            foreach (var node in _nodes)
            {
                TestContext.Out.WriteLine($"--- broker {node?.Frontend}:\n{node?.Broker?.Output}");
            }
        }

        if (_sharedWorker is not null)
        {
            await _sharedWorker.DisposeAsync();
        }

        foreach (var node in _nodes)
        {
            if (node?.Worker is not null)
            {
                await node.Worker.DisposeAsync();
            }

            node?.Broker?.Dispose();
        }

        File.Delete(_keyFile);
        if (_nats is not null && TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            TestContext.Out.WriteLine($"--- nats-server:\n{_nats.Output}");
        }

        _nats?.Dispose();
    }

    private async Task StartBrokerAsync(int i, string frontend, string backend, string control)
    {
        var node = _nodes[i];
        node.Broker = StartBrokerProcess(frontend, backend, control);
        var line = await node.Broker.WaitForLineAsync(BrokerProcessTests.ListeningLine, Patience);
        (node.Frontend, node.Backend, node.Control) = (line.Groups[1].Value.TrimEnd(','), line.Groups[2].Value.TrimEnd(','), line.Groups[3].Value);
        if (_engine == Engine.Nats)
        {
            return;
        }

        node.Worker = CreateWorker(node.Backend);
        node.Routes = FailoverRoutes.Map(node.Worker);
        await node.Worker.StartAsync();
        await node.Broker.WaitForLineAsync("ready for service game", Patience);
    }

    private static WorkerApp CreateWorker(string brokers) => WorkerApp.Create(new WorkerOptions
    {
        Broker = brokers,
        Slots = 8,
        HeartbeatInterval = TimeSpan.FromMilliseconds(250), // the brokers' (both sides expect the other's heartbeats)
        Liveness = 5, // 1.25 s: a broker paused for a moment on a busy machine is not dropped with the request it sent
        ReconnectDelayMin = TimeSpan.FromMilliseconds(10),
        ReconnectDelayMax = TimeSpan.FromMilliseconds(100),
    });

    private ProcessUnderTest StartBrokerProcess(string frontend, string backend, string control) =>
        ProcessUnderTest.Start("ZmqGame.Broker",
            _engine == Engine.Nats
                ? [frontend, backend, "--control", control, "--cluster", _nats!.Url, "--heartbeat-interval", "250ms", .. _extraArgs]
                : [frontend, backend, "--control", control, "--session-key-file", _keyFile, "--heartbeat-interval", "250ms", .. _extraArgs]);

    private sealed class Node
    {
        public ProcessUnderTest? Broker { get; set; }

        public WorkerApp? Worker { get; set; }

        public FailoverRoutes? Routes { get; set; }

        public string Frontend { get; set; } = string.Empty;

        public string Backend { get; set; } = string.Empty;

        public string Control { get; set; } = string.Empty;
    }
}
