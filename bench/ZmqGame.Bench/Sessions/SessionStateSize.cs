using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using ZmqGame.Broker;
using ZmqGame.Broker.Sessions;
using ZmqGame.Protocol;

namespace ZmqGame.Bench.Sessions;

/// <summary>
/// Managed memory the broker's session layer keeps per idle session (session object, indexes, activity list),
/// measured in-process with a transport that sends nothing: the part of a session's cost that is ZmqGame's own,
/// apart from what the transport keeps per connection.
/// </summary>
internal static class SessionStateSize
{
    public static double BytesPerSession(int sessions)
    {
        var options = new BrokerOptions { MaxSessions = sessions + 1 };
        var stats = new BrokerStats();
        var logger = NullLogger.Instance;
        var badInput = new BadInputLog(logger, stats, TimeProvider.System, options.BadInputLogInterval);
        var output = new NoOutput();
        var pool = new RequestPool();

        // A dispatcher that keeps no event (no queue, no worker): each is dropped and its request reused at once.
        var dispatcher = new Dispatcher(new BrokerOptions { MaxQueuedPerService = 0 }, output, output, pool, stats, badInput, logger, TimeProvider.System);
        var manager = new SessionManager(options, output, dispatcher, pool, stats, badInput, logger, TimeProvider.System, new byte[32]);
        var identities = new byte[sessions][];
        for (var i = 0; i < sessions; i++)
        {
            // A ROUTER's generated identity: 5 bytes.
            identities[i] = [0, (byte)(i >> 24), (byte)(i >> 16), (byte)(i >> 8), (byte)i];
        }

        var service = Encoding.UTF8.GetBytes("lobby");
        var before = GC.GetTotalMemory(forceFullCollection: true);
        foreach (var identity in identities)
        {
            manager.Hello(identity, service, []);
        }

        manager.FlushEvents();
        var after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(manager);
        return (after - before) / (double)sessions;
    }

    private sealed class NoOutput : IClientOutput, IWorkerChannel, IClientChannel
    {
        public bool TrySendToClient(byte[] identity, OutboundMessage message) => true;

        public bool SendRequest(Worker worker, PendingRequest request) => true;

        public void SendCommand(ReadOnlySpan<byte> workerIdentity, byte command)
        {
        }

        public void ForwardReply(Worker worker, PendingRequest request, ZmqGame.Transport.FrameBuffer reply, int bodyAt)
        {
        }

        public void SendStatus(PendingRequest request, Status status, string message)
        {
        }
    }
}
