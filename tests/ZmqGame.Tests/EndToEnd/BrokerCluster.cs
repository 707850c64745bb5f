using ZmqGame.Tests.Broker;
using ZmqGame.Tests.Support;
using ZmqGame.Worker;

namespace ZmqGame.Tests.EndToEnd;

/// <summary>
/// Broker processes sharing one session key file, each on free ports, each with a worker of the <c>game</c> service of
/// <see cref="FailoverRoutes"/> attached (in this process: it counts what its handlers ran). A broker can be killed,
/// stopped with SIGTERM and started again on its endpoints.
/// </summary>
internal sealed class BrokerCluster : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly string _keyFile = Path.Combine(Path.GetTempPath(), "zmqgame-cluster-key-" + Guid.NewGuid().ToString("N"));
    private readonly string[] _extraArgs;
    private readonly Node[] _nodes;

    private BrokerCluster(int count, string[] extraArgs)
    {
        _extraArgs = extraArgs;
        _nodes = new Node[count];
    }

    /// <summary>Handler runs of the idempotent route, over every worker.</summary>
    public long IdempotentRuns => _nodes.Sum(n => n.Routes?.IdempotentRuns ?? 0);

    /// <summary>Every broker's frontend, comma-separated, as clients take them.</summary>
    public string Frontends => string.Join(",", _nodes.Select(n => n.Frontend));

    public int Count => _nodes.Length;

    public static async Task<BrokerCluster> StartAsync(int count, params string[] extraArgs)
    {
        var cluster = new BrokerCluster(count, extraArgs);
        try
        {
            for (var i = 0; i < count; i++)
            {
                cluster._nodes[i] = new Node();
                await cluster.StartBrokerAsync(i, "tcp://127.0.0.1:0", "tcp://127.0.0.1:0", "tcp://127.0.0.1:0");
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

        foreach (var node in _nodes)
        {
            if (node?.Worker is not null)
            {
                await node.Worker.DisposeAsync();
            }

            node?.Broker?.Dispose();
        }

        File.Delete(_keyFile);
    }

    private async Task StartBrokerAsync(int i, string frontend, string backend, string control)
    {
        var node = _nodes[i];
        node.Broker = StartBrokerProcess(frontend, backend, control);
        var line = await node.Broker.WaitForLineAsync(BrokerProcessTests.ListeningLine, Patience);
        (node.Frontend, node.Backend, node.Control) = (line.Groups[1].Value.TrimEnd(','), line.Groups[2].Value.TrimEnd(','), line.Groups[3].Value);
        node.Worker = WorkerApp.Create(new WorkerOptions
        {
            Broker = node.Backend,
            Slots = 8,
            HeartbeatInterval = TimeSpan.FromMilliseconds(250), // the brokers' (both sides expect the other's heartbeats)
            ReconnectDelayMin = TimeSpan.FromMilliseconds(10),
            ReconnectDelayMax = TimeSpan.FromMilliseconds(100),
        });
        node.Routes = FailoverRoutes.Map(node.Worker);
        await node.Worker.StartAsync();
        await node.Broker.WaitForLineAsync("ready for service game", Patience);
    }

    private ProcessUnderTest StartBrokerProcess(string frontend, string backend, string control) =>
        ProcessUnderTest.Start("ZmqGame.Broker",
            [frontend, backend, "--control", control, "--session-key-file", _keyFile, "--heartbeat-interval", "250ms", .. _extraArgs]);

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
