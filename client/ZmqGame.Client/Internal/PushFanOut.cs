using MessagePack;
using Microsoft.Extensions.Logging;

namespace ZmqGame.Client.Internal;

/// <summary>
/// The client's push subscribers. The I/O thread offers each PUSH to every subscriber (of its command) without
/// blocking: a full buffer drops its oldest push. Subscribing and unsubscribing copy the subscriber array under a
/// lock, so <see cref="Deliver"/> reads it without one.
/// </summary>
internal sealed class PushFanOut
{
    private readonly int bufferSize;
    private readonly MessagePackSerializerOptions serializer;
    private readonly ILogger logger;
    private readonly object subscribersGate = new();
    private readonly Action<PushSubscription> unsubscribe;
    private PushSubscription[] subscribers = [];
    private long pushesReceived;
    private long droppedPushes;
    private long unreadablePushes;

    public PushFanOut(int bufferSize, MessagePackSerializerOptions serializer, ILogger logger)
    {
        this.bufferSize = bufferSize;
        this.serializer = serializer;
        this.logger = logger;
        unsubscribe = Unsubscribe;
    }

    public long PushesReceived => Interlocked.Read(ref pushesReceived);

    public long DroppedPushes => Interlocked.Read(ref droppedPushes);

    public long UnreadablePushes => Interlocked.Read(ref unreadablePushes);

    /// <summary>A new subscriber buffer that gets every push from now on (of one command when <paramref name="command"/> is set).</summary>
    public PushSubscription Subscribe(int? command)
    {
        var subscription = new PushSubscription(bufferSize, command, unsubscribe);
        lock (subscribersGate)
        {
            subscribers = [.. subscribers, subscription];
        }

        return subscription;
    }

    public long CountUnreadable() => Interlocked.Increment(ref unreadablePushes);

    /// <summary>Offers one push to every subscriber of its command. I/O thread.</summary>
    public void Deliver(int command, byte[] payload)
    {
        Interlocked.Increment(ref pushesReceived);
        var current = Volatile.Read(ref subscribers);
        if (current.Length == 0)
        {
            return;
        }

        var push = new ServerPush(command, payload, serializer);
        foreach (var subscriber in current)
        {
            if ((subscriber.Command is null || subscriber.Command == command) && !subscriber.Offer(push))
            {
                var count = Interlocked.Increment(ref droppedPushes);
                if ((count & (count - 1)) == 0)
                {
                    Log.PushDropped(logger, count);
                }
            }
        }
    }

    /// <summary>Ends every current subscription (disposal).</summary>
    public void CompleteAll()
    {
        PushSubscription[] toComplete;
        lock (subscribersGate)
        {
            toComplete = subscribers;
        }

        foreach (var subscription in toComplete)
        {
            subscription.Complete();
        }
    }

    private void Unsubscribe(PushSubscription subscription)
    {
        lock (subscribersGate)
        {
            subscribers = Array.FindAll(subscribers, s => !ReferenceEquals(s, subscription));
        }
    }
}
