using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using MessagePack;

namespace ZmqGame.Client.Internal;

/// <summary>The async stream behind <see cref="ZmqGameClient.PushesAsync"/>: subscribed when created, unsubscribed when its enumeration ends.</summary>
internal sealed class PushStream : IAsyncEnumerable<ServerPush>
{
    private readonly PushSubscription subscription;
    private readonly CancellationToken cancellationToken;
    private int enumerated;

    public PushStream(PushSubscription subscription, CancellationToken cancellationToken)
    {
        this.subscription = subscription;
        this.cancellationToken = cancellationToken;
    }

    public IAsyncEnumerator<ServerPush> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref enumerated, 1) != 0)
        {
            throw new InvalidOperationException("a push stream is enumerated once; call PushesAsync again for another subscriber");
        }

        return ReadAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
    }

    private async IAsyncEnumerable<ServerPush> ReadAsync([EnumeratorCancellation] CancellationToken enumeratorToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, enumeratorToken);
        try
        {
            while (await subscription.WaitToReadAsync(linked.Token).ConfigureAwait(false))
            {
                while (subscription.TryRead(out var push))
                {
                    yield return push;
                }
            }
        }
        finally
        {
            subscription.Complete();
        }
    }
}

/// <summary>
/// Runs an <see cref="ZmqGameClient.OnPush{T}(int, Func{T, ValueTask})"/> handler over its subscription on the thread
/// pool; in a pumped client, in <see cref="Transport.WebSocket.ZmqGameWebSocket.Pump"/> on the pumping thread.
/// </summary>
internal static class PushHandlerLoop<T>
{
    public static void Start(ClientCore core, PushSubscription subscription, Func<T, ValueTask> handler)
    {
        if (subscription.IsPumped)
        {
            Transport.WebSocket.ZmqGameWebSocket.Post(() => _ = RunAsync(core, subscription, handler));
        }
        else
        {
            _ = Task.Run(() => RunAsync(core, subscription, handler));
        }
    }

    private static async Task RunAsync(ClientCore core, PushSubscription subscription, Func<T, ValueTask> handler)
    {
        while (await subscription.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            while (subscription.TryRead(out var push))
            {
                if (subscription.IsCompleted)
                {
                    return; // unsubscribed: what is still buffered is not delivered
                }

                T value;
                try
                {
                    value = push.Read<T>();
                }
                catch (MessagePackSerializationException ex)
                {
                    Log.PushUnreadable(core.Logger, push.Command, typeof(T).Name, core.CountUnreadablePush(), ex);
                    continue;
                }

                try
                {
                    await handler(value).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    Log.PushHandlerFailed(core.Logger, push.Command, ex);
                }
            }
        }
    }
}

/// <summary>The handle <see cref="ZmqGameClient.OnPush{T}(int, Action{T})"/> returns.</summary>
internal sealed class PushHandlerRegistration : IDisposable
{
    private readonly PushSubscription subscription;

    public PushHandlerRegistration(PushSubscription subscription) => this.subscription = subscription;

    public void Dispose() => subscription.Complete();
}
