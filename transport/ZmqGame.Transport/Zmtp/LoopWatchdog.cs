namespace ZmqGame.Transport;

/// <summary>
/// Watches an <see cref="EventLoop"/> that runs user code inline (<see cref="IInlineWork"/>): once per budget period it
/// reads the loop's user-code sequence number (odd while user code runs), and when the same odd number is seen twice
/// in a row (one item has held the loop thread for a budget or more) it asks the loop to hand itself to a fresh thread.
/// <list type="bullet">
/// <item>Nothing per item: the loop only bumps the sequence number; no timer is armed, no system call is made.</item>
/// <item>After a second of no inline work it parks, and the next item wakes it (the only cost after an idle spell).</item>
/// </list>
/// </summary>
internal sealed class LoopWatchdog
{
    private static readonly TimeSpan ParkAfter = TimeSpan.FromSeconds(1);

    private readonly Func<long> _sequence;
    private readonly Func<long, bool> _takeOver;
    private readonly TimeSpan _period;
    private readonly int _idleChecksBeforePark;
    private readonly object _gate = new();
    private bool _unparked;
    private int _parked;
    private volatile bool _stopped;

    /// <param name="sequence">Reads the loop's user-code sequence number.</param>
    /// <param name="takeOver">Hands the loop to a fresh thread if the sequence number is still the one given; true if it did.</param>
    /// <param name="period">The inline budget.</param>
    public LoopWatchdog(Func<long> sequence, Func<long, bool> takeOver, TimeSpan period)
    {
        _sequence = sequence;
        _takeOver = takeOver;
        _period = period;
        _idleChecksBeforePark = Math.Max(1, (int)(ParkAfter / period));
    }

    public void Start(string name) => new Thread(Watch) { IsBackground = true, Name = name + ".watchdog" }.Start();

    /// <summary>The loop thread, just after making the sequence number odd: wakes the watchdog if it parked.</summary>
    public void OnUserCode()
    {
        if (Volatile.Read(ref _parked) != 0 && Interlocked.Exchange(ref _parked, 0) != 0)
        {
            Unpark();
        }
    }

    /// <summary>Ends the watchdog (within one period). Any thread.</summary>
    public void Stop()
    {
        _stopped = true;
        if (Interlocked.Exchange(ref _parked, 0) != 0)
        {
            Unpark();
        }
    }

    private void Watch()
    {
        var seen = -1L;
        var idle = 0;
        while (!_stopped)
        {
            Thread.Sleep(_period);
            var sequence = _sequence();
            if (sequence != seen)
            {
                seen = sequence;
                idle = 0;
                continue;
            }

            if ((sequence & 1) == 1)
            {
                _ = _takeOver(sequence);
                seen = -1;
            }
            else if (++idle >= _idleChecksBeforePark)
            {
                Park(sequence);
                idle = 0;
                seen = -1;
            }
        }
    }

    private void Park(long sequence)
    {
        Interlocked.Exchange(ref _parked, 1);
        if ((_sequence() != sequence || _stopped) && Interlocked.Exchange(ref _parked, 0) != 0)
        {
            // Work came (or the stop) between the last check and parking: not parked after all.
            return;
        }

        // Parked until OnUserCode or Stop takes the flag and unparks (or already did).
        lock (_gate)
        {
            while (!_unparked)
            {
                Monitor.Wait(_gate);
            }

            _unparked = false;
        }
    }

    private void Unpark()
    {
        lock (_gate)
        {
            _unparked = true;
            Monitor.Pulse(_gate);
        }
    }
}
