using Microsoft.Extensions.Logging;
using ZmqGame.Broker.Sessions;
using ZmqGame.Transport;

namespace ZmqGame.Broker;

/// <summary>
/// A broker of a cluster stopping without failing a request (<c>Broker:LameDuck</c>): it stops accepting connections on
/// the frontend, tells its ZmqGame clients to move (MOVE; a HELLO gets MOVE too), keeps serving what it holds (waiting
/// and in-flight requests, replies, workers), and is done when it holds no request and no ZmqGame client is connected,
/// or when <c>Broker:LameDuckTimeout</c> has passed. Its sessions are not ended (no CLOSED, no close event): their
/// clients resume them on another broker with the same session key. Stock MDP clients simply reconnect when it exits.
/// <para>
/// <see cref="Begin"/> and <see cref="Tick"/> run on the broker's loop thread; <see cref="Finished"/> on any.
/// </para>
/// </summary>
internal sealed partial class LameDuck
{
    private readonly Dispatcher _dispatcher;
    private readonly SessionManager _sessions;
    private readonly IRouter _frontend;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;
    private readonly TaskCompletionSource<bool> _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _startedAt;

    public LameDuck(BrokerOptions options, Dispatcher dispatcher, SessionManager sessions, IRouter frontend, ILogger logger, TimeProvider time)
    {
        _dispatcher = dispatcher;
        _sessions = sessions;
        _frontend = frontend;
        _logger = logger;
        _time = time;
        _timeout = options.LameDuckTimeout;
    }

    /// <summary>True when everything left in time, false when the timeout cut it short.</summary>
    public Task<bool> Finished => _finished.Task;

    /// <summary>Stops accepting connections and sends MOVE to every connected ZmqGame client.</summary>
    public void Begin()
    {
        _startedAt = _time.GetTimestamp();
        _frontend.StopAccepting();
        _sessions.MoveAll("the broker is stopping; resume the session on another broker");
        Started(_logger, _sessions.Attached, HeldRequests(_dispatcher), (long)_timeout.TotalMilliseconds);
        Tick();
    }

    /// <summary>Each loop tick: done once nothing is held and every ZmqGame client left, or at the timeout.</summary>
    public void Tick()
    {
        if (_startedAt == 0 || _finished.Task.IsCompleted)
        {
            return;
        }

        var held = HeldRequests(_dispatcher);
        var clients = _sessions.Attached;
        if (held == 0 && clients == 0)
        {
            Done(_logger, (long)_time.GetElapsedTime(_startedAt).TotalMilliseconds);
            _finished.TrySetResult(true);
        }
        else if (_time.GetElapsedTime(_startedAt) >= _timeout)
        {
            TimedOut(_logger, (long)_timeout.TotalMilliseconds, held, clients);
            _finished.TrySetResult(false);
        }
    }

    /// <summary>Requests the broker still owns: waiting in a service's queues or held by a worker.</summary>
    internal static int HeldRequests(Dispatcher dispatcher)
    {
        var held = 0;
        foreach (var service in dispatcher.Services)
        {
            held += service.WaitingCount;
        }

        foreach (var worker in dispatcher.Workers)
        {
            if (worker.Current is not null)
            {
                held++;
            }
        }

        return held;
    }

    [LoggerMessage(EventId = 60, Level = LogLevel.Information,
        Message = "Broker is a lame duck: accepts no new connection, asked {Clients} client(s) to move, finishing {Held} request(s) (at most {TimeoutMs} ms)")]
    private static partial void Started(ILogger logger, int clients, int held, long timeoutMs);

    [LoggerMessage(EventId = 61, Level = LogLevel.Information, Message = "Lame duck done after {ElapsedMs} ms: every request answered, every client moved")]
    private static partial void Done(ILogger logger, long elapsedMs);

    [LoggerMessage(EventId = 62, Level = LogLevel.Warning,
        Message = "Lame duck timeout ({TimeoutMs} ms) passed with {Held} request(s) held and {Clients} client(s) connected; stopping anyway")]
    private static partial void TimedOut(ILogger logger, long timeoutMs, int held, int clients);
}
