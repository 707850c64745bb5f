using System.Buffers.Binary;
using NetMQ.Sockets;
using ZmqGame.Protocol;
using ZmqGame.Tests.Support;
using static ZmqGame.Tests.Support.Raw;

namespace ZmqGame.Tests.Broker.Limits;

/// <summary>What the rate-limit tests' raw clients and workers do: send a session request, serve one, echo one.</summary>
internal static class LimitPeers
{
    /// <summary>Sends one request of a session (service game, cmd 1, body "x" + id).</summary>
    public static void SendRequest(RawSessionClient client, ulong id) =>
        Send(client.Socket, [], B("ZGC01"), [ZgClient.Request], B("game"), RawZg.RequestHeader(id, 1, 0), B("x" + id));

    /// <summary>Sends one request of a session, lets the worker answer it, returns the reply's status.</summary>
    public static byte Serve(RawSessionClient client, RawZgWorker worker, ulong id)
    {
        SendRequest(client, id);
        var (address, header, _) = worker.NextRequest();
        Assert.That(header.RequestId, Is.EqualTo(id), "the worker got this request, not an earlier one");
        worker.Reply(address, header.RequestId, B("ok"));
        var reply = client.Next(f => f.Count >= 4 && f[2][0] == ZgClient.Reply && BinaryPrimitives.ReadUInt64BigEndian(f[3].AsSpan(4)) == id);
        return reply[3][12];
    }

    /// <summary>A raw MDP worker answers the next request with its body; returns the body.</summary>
    public static byte[] EchoOne(DealerSocket worker)
    {
        var request = ReceiveUntil(worker, f => IsWorkerCommand(f, 0x02));
        Send(worker, [], B("MDPW01"), [0x03], request[3], [], request[5]);
        return request[5];
    }
}
