using System.Diagnostics;

namespace ZmqGame.Transport;

/// <summary>
/// The connection loop on ZmqGame's own ZMTP transport: one <see cref="EventLoop"/> (epoll), each connection a
/// <see cref="ZmtpDealer"/> sharing the loop's read buffer.
/// <list type="bullet">
/// <item>A connection that ends (refused, reset, closed by the broker) is noticed at once: the link leaves the loop's
/// set, <see cref="IDealerLink.TrySend"/> returns false from then on, and <c>onLost</c> says why.</item>
/// <item>User code may run on the loop thread (<see cref="EnableInline"/>, <see cref="RunInline"/>): see <see cref="EventLoop"/>.</item>
/// <item>The wake handler is a source of the event loop: it runs on every turn, after posted work.</item>
/// <item><see cref="WakeWithin"/> arms a timerfd in the loop's epoll set (made at the first call): its expiry ends the
/// wait, and the turn runs the wake handler like any other. Arming is one system call, made only when the new time is
/// sooner than the one armed.</item>
/// <item><see cref="Dispose"/> stops the loop first (its last turn writes what is queued, such as a worker's final
/// DISCONNECTs), then closes every connection still open, quietly (no <c>onLost</c>).</item>
/// </list>
/// </summary>
internal sealed class ZmtpConnectionLoop(Action<Exception> onError) : IConnectionLoop
{
    private readonly EventLoop _loop = new(onError);
    private readonly byte[] _readBuffer = new byte[64 * 1024];
    private readonly HashSet<ZmtpLink> _links = [];
    private LoopAlarm? _alarm;

    public void Start(string name, TimeSpan? tickInterval = null, Action? tick = null, Action? onWake = null, Action? onExit = null)
    {
        _loop.TickInterval = tick is not null && tickInterval is { } interval ? interval : Timeout.InfiniteTimeSpan;
        _loop.Tick = tick;
        if (onWake is not null)
        {
            _loop.AddSource(onWake);
        }

        _loop.OnExit = onExit;
        _loop.Start(name);
    }

    public void Post(Action action) => _loop.Post(action);

    public bool EnableInline(TimeSpan budget)
    {
        _loop.InlineBudget = budget;
        return true;
    }

    public void RunInline(IInlineWork work) => _loop.RunInline(work);

    public void Wake() => _loop.Wake();

    public void Stop() => _loop.RequestStop();

    public void WakeWithin(TimeSpan delay) => (_alarm ??= new LoopAlarm(_loop)).Arm(delay);

    public IDealerLink Connect(string endpoint, Action<List<byte[]>> onMessage, Action<string> onLost)
    {
        var link = new ZmtpLink(_links);
        link.Dealer = ZmtpDealer.Connect(_loop, _readBuffer, endpoint, 0, onMessage, reason =>
        {
            _links.Remove(link);
            onLost(reason);
        });
        _links.Add(link);
        return link;
    }

    /// <summary>Stops the loop (its last turn writes what is queued), then closes every connection.</summary>
    public void Dispose()
    {
        _loop.Dispose();
        foreach (var link in _links)
        {
            link.Dealer?.Close(quiet: true);
        }

        _links.Clear();
        _alarm?.Dispose();
    }
}
