using MessagePack;
using NetMQ.Sockets;
using ZmqGame.Protocol;
using ZmqGame.Tests.Broker;
using ZmqGame.Tests.Support;
using static ZmqGame.Tests.Support.Raw;

namespace ZmqGame.Tests.Cluster;

/// <summary>
/// A real broker process in a cluster (<c>--cluster</c>), with its endpoints, a control socket, and a raw ZmqGame worker
/// on its backend that sends session actions as a worker would from a request that came through this broker.
/// </summary>
internal sealed class ClusterBroker : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private DealerSocket? _admin;
    private DealerSocket? _worker;

    private ClusterBroker(ProcessUnderTest process, string frontend, string backend, string control)
    {
        Process = process;
        Frontend = frontend;
        Backend = backend;
        Control = control;
    }

    public ProcessUnderTest Process { get; }

    public string Frontend { get; }

    public string Backend { get; }

    public string Control { get; }

    /// <summary>Starts a broker that joins the cluster at <paramref name="nats"/> and waits until it has joined.</summary>
    public static async Task<ClusterBroker> StartAsync(string nats)
    {
        var process = ProcessUnderTest.Start("ZmqGame.Broker", "tcp://127.0.0.1:0", "tcp://127.0.0.1:0", "--control", "tcp://127.0.0.1:0",
            "--cluster", nats, "--session-timeout", "60s", "--session-key-file", "",
            "--Broker:LameDuckTimeout", "2s"); // on SIGTERM a lame duck (the default in a cluster): its raw test clients do not move

        try
        {
            var line = await process.WaitForLineAsync(BrokerProcessTests.ListeningLine, Patience);
            await process.WaitForLineAsync("joined cluster 'zmqgame'", Patience);
            return new ClusterBroker(process, line.Groups[1].Value.TrimEnd(','), line.Groups[2].Value.TrimEnd(','), line.Groups[3].Value);
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }

    /// <summary>Starts <paramref name="count"/> brokers on one NATS and waits until each sees all the others.</summary>
    public static async Task<ClusterBroker[]> StartManyAsync(string nats, int count)
    {
        var brokers = await Task.WhenAll(Enumerable.Range(0, count).Select(_ => StartAsync(nats)));
        foreach (var broker in brokers)
        {
            await broker.WaitForGaugeAsync("cluster_brokers", count);
        }

        return brokers;
    }

    /// <summary>A control action (as the trigger sends it), answered for the whole cluster.</summary>
    public ActionResult Act(string action, ActionArgs args, params byte[][] payload) => RawControl.Act(Admin(), action, args, payload);

    /// <summary>A session action sent by a ZmqGame worker attached to this broker (never answered).</summary>
    public void WorkerAct(string action, ActionArgs args, params byte[][] payload)
    {
        if (_worker is null)
        {
            _worker = new DealerSocket(Backend);
            Send(_worker, [], B("MDPW01"), [0x01], B("game"), new WorkerInfo("test", []).Serialize());
        }
        else
        {
            Send(_worker, [], B("MDPW01"), [0x04]);
        }

        Send(_worker, [[], B("ZGW01"), B(action), args.Serialize(), .. payload]);
    }

    /// <summary>This broker's stats answer (its own entries at the top, the cluster's under <c>cluster</c>).</summary>
    public StatsReport Stats() =>
        MessagePackSerializer.Deserialize<StatsReport>(RawControl.Ask(Admin(), "stats")[3], Payload.Options)!;

    public long Gauge(string name) => Stats().Gauges.GetValueOrDefault(name);

    public long Counter(string name) => Stats().Counters.GetValueOrDefault(name);

    /// <summary>Waits until the gauge <paramref name="name"/> is <paramref name="value"/>.</summary>
    public Task WaitForGaugeAsync(string name, long value) =>
        Eventually.True(() => Gauge(name) == value, $"gauge {name} = {value} on the broker at {Control}", Patience, () => Process.Output);

    /// <summary>Waits until the counter <paramref name="name"/> is at least <paramref name="value"/>.</summary>
    public Task WaitForCounterAsync(string name, long value) =>
        Eventually.True(() => Counter(name) >= value, $"counter {name} >= {value} on the broker at {Control}", Patience, () => Process.Output);

    /// <summary>Opens a session on this broker and binds it to <paramref name="user"/>, waiting until its single-login record is stored.</summary>
    public async Task<RawSessionClient> LogInAsync(string user, long loginsAfter = 1)
    {
        var client = RawSessionClient.Welcomed(Frontend);
        Assert.That(Act(SessionActions.Bind, new ActionArgs { Session = client.Id, User = user }).Sessions, Is.EqualTo(1));
        Assert.That(client.NextWelcome().User, Is.EqualTo(user));
        await WaitForGaugeAsync("cluster_logins", loginsAfter);
        return client;
    }

    public void Dispose()
    {
        _admin?.Dispose();
        _worker?.Dispose();
        Process.Dispose();
    }

    private DealerSocket Admin() => _admin ??= new DealerSocket(Control);
}
