using System.Buffers.Binary;
using NetMQ;
using NetMQ.Sockets;
using static ZmqGame.Tests.Support.Raw;

namespace ZmqGame.Tests.Support;

/// <summary>ZmqGame client frames (ZGC01) built by hand from docs/protocol.md.</summary>
internal static class RawZg
{
    public static byte[] RequestHeader(ulong id, int command, uint timeoutMs)
    {
        var h = new byte[20];
        h[0] = (byte)'Z';
        h[1] = (byte)'G';
        h[2] = 1;
        h[3] = 1;
        BinaryPrimitives.WriteUInt64BigEndian(h.AsSpan(4), id);
        BinaryPrimitives.WriteInt32BigEndian(h.AsSpan(12), command);
        BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(16), timeoutMs);
        return h;
    }

    public static byte[] ReplyHeader(ulong id, byte status)
    {
        var h = new byte[13];
        h[0] = (byte)'Z';
        h[1] = (byte)'G';
        h[2] = 1;
        h[3] = 2;
        BinaryPrimitives.WriteUInt64BigEndian(h.AsSpan(4), id);
        h[12] = status;
        return h;
    }

    public static void SendRequest(DealerSocket client, string service, ulong id, uint timeoutMs = 0, params byte[][] payload) =>
        Send(client, [[], B("ZGC01"), [0x01], B(service), RequestHeader(id, 1, timeoutMs), .. payload]);

    /// <summary>Waits for the REPLY to request <paramref name="id"/>; returns (status, payload frames).</summary>
    public static (byte Status, List<byte[]> Payload) ReceiveReply(DealerSocket client, ulong id, TimeSpan? timeout = null)
    {
        var reply = ReceiveUntil(
            client,
            f => f.Count >= 4 && S(f[1]) == "ZGC01" && f[2][0] == 0x02 && f[3].Length == 13 && BinaryPrimitives.ReadUInt64BigEndian(f[3].AsSpan(4)) == id,
            timeout);
        return (reply[3][12], reply.Skip(4).ToList());
    }

    /// <summary>A raw MDP worker that answers one ZmqGame request by echoing its payload with status ok.</summary>
    public static void ServeOneEcho(DealerSocket worker)
    {
        var request = ReceiveUntil(worker, f => IsWorkerCommand(f, 0x02));
        var id = BinaryPrimitives.ReadUInt64BigEndian(request[5].AsSpan(4));
        Send(worker, [[], B("MDPW01"), [0x03], request[3], [], ReplyHeader(id, 0), .. request.Skip(6)]);
    }

    /// <summary>Proves the broker still serves: a fresh worker and client complete one request.</summary>
    public static async Task AssertServing(BrokerFixture broker)
    {
        var service = "probe-" + Guid.NewGuid().ToString("N")[..8];
        using var worker = new DealerSocket(broker.Backend);
        Send(worker, [], B("MDPW01"), [0x01], B(service));
        await broker.WaitForIdleWorkers(service);
        using var client = new DealerSocket(broker.Frontend);
        SendRequest(client, service, 77, 0, B("still-alive"));
        ServeOneEcho(worker);
        var (status, payload) = ReceiveReply(client, 77);
        Assert.That(status, Is.Zero);
        Assert.That(S(payload.Single()), Is.EqualTo("still-alive"));
    }
}
