using System.Buffers;
using NATS.Client.Core;

namespace ZmqGame.Broker.Cluster;

/// <summary>
/// One NATS subscription of the cluster link: each message's payload is copied and handed to <c>onMessage</c> at once
/// (no channel, no reader task per subscription: a broker may hold one per logged-in user). NATS.Net renews it after
/// every reconnect.
/// </summary>
internal sealed class InterestSubscription(INatsConnection connection, string subject, Action<string, string?, byte[]> onMessage)
    : NatsSubBase(connection, connection.SubscriptionManager, subject, queueGroup: null, opts: null)
{
    protected override ValueTask ReceiveInternalAsync(string subject, string? replyTo, ReadOnlySequence<byte>? headersBuffer, ReadOnlySequence<byte> payloadBuffer)
    {
        onMessage(subject, replyTo, payloadBuffer.ToArray());
        return ValueTask.CompletedTask;
    }

    protected override void TryComplete()
    {
    }
}
