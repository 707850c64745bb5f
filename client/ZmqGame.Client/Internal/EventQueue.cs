using Microsoft.Extensions.Logging;
using ZmqGame.Transport.WebSocket;

namespace ZmqGame.Client.Internal;

/// <summary>
/// Runs callbacks one at a time, in the order queued, on the thread pool: the socket thread queues user-facing
/// events here so user code never runs on it, and a slow handler delays only later events. In a pumped client
/// (<see cref="ZmqGameWebSocket.Pumped"/> when it was created) they run in <see cref="ZmqGameWebSocket.Pump"/> instead,
/// on the pumping thread, after the connection loops' turns.
/// </summary>
internal sealed class EventQueue
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<Action> queue = new();
    private readonly ILogger logger;
    private readonly bool pumped;
    private readonly Action drain;
    private int running;

    public EventQueue(ILogger logger)
    {
        this.logger = logger;
        pumped = ZmqGameWebSocket.Pumped;
        drain = Drain;
    }

    public void Enqueue(Action action)
    {
        queue.Enqueue(action);
        if (Interlocked.CompareExchange(ref running, 1, 0) != 0)
        {
            return;
        }

        if (pumped)
        {
            ZmqGameWebSocket.Post(drain);
        }
        else
        {
            ThreadPool.QueueUserWorkItem(static s => ((EventQueue)s!).Drain(), this);
        }
    }

    private void Drain()
    {
        while (true)
        {
            while (queue.TryDequeue(out var action))
            {
                try
                {
                    action();
                }
                catch (Exception ex)
                {
                    Log.EventHandlerFailed(logger, ex);
                }
            }

            Volatile.Write(ref running, 0);
            if (queue.IsEmpty || Interlocked.CompareExchange(ref running, 1, 0) != 0)
            {
                return;
            }
        }
    }
}
