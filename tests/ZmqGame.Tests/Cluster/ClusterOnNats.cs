using ZmqGame.Tests.Support;

namespace ZmqGame.Tests.Cluster;

/// <summary>
/// A real nats-server and broker processes joined in a cluster on it, each seeing all the others. Disposing stops the
/// brokers, the last started first, then the server.
/// </summary>
internal sealed class ClusterOnNats : IDisposable
{
    private readonly ClusterBroker[] _brokers;

    private ClusterOnNats(NatsServer nats, ClusterBroker[] brokers)
    {
        Nats = nats;
        _brokers = brokers;
    }

    /// <summary>The server the brokers joined on (killed and restarted by the tests of an outage).</summary>
    public NatsServer Nats { get; }

    /// <summary>Starts a nats-server and <paramref name="brokers"/> brokers on it, waiting until each sees all the others.</summary>
    public static async Task<ClusterOnNats> StartAsync(int brokers = 2)
    {
        var nats = await NatsServer.StartAsync();
        try
        {
            return new ClusterOnNats(nats, await ClusterBroker.StartManyAsync(nats.Url, brokers));
        }
        catch
        {
            nats.Dispose();
            throw;
        }
    }

    public void Deconstruct(out ClusterBroker a, out ClusterBroker b) => (a, b) = (_brokers[0], _brokers[1]);

    public void Deconstruct(out ClusterBroker a, out ClusterBroker b, out ClusterBroker c) => (a, b, c) = (_brokers[0], _brokers[1], _brokers[2]);

    public void Dispose()
    {
        foreach (var broker in _brokers.Reverse())
        {
            broker.Dispose();
        }

        Nats.Dispose();
    }
}
