namespace ZmqGame.Transport;

/// <summary>
/// The process-wide group of <see cref="SharedLoop"/>s: at most one per core, each started by the first member that
/// needs it and stopped when its last member leaves. A new member goes to the loop with the fewest members (ties taken
/// in turn), so members spread evenly however they come and go.
/// </summary>
internal static class SharedLoopGroup
{
    private static readonly Lock Gate = new();
    private static readonly SharedLoop?[] Loops = new SharedLoop?[Math.Max(1, Environment.ProcessorCount)];
    private static int _next;

    /// <summary>The most loops the group runs (the number of cores).</summary>
    public static int Capacity => Loops.Length;

    /// <summary>Loops running now (each one thread).</summary>
    public static int Running
    {
        get
        {
            lock (Gate)
            {
                return Loops.Count(l => l is not null);
            }
        }
    }

    /// <summary>A loop for one more member (started when it was not running). Any thread.</summary>
    public static SharedLoop Acquire()
    {
        lock (Gate)
        {
            var start = _next;
            _next = (_next + 1) % Loops.Length;
            var best = -1;
            for (var k = 0; k < Loops.Length; k++)
            {
                var i = (start + k) % Loops.Length;
                if (Loops[i] is null)
                {
                    best = i;
                    break;
                }

                if (best < 0 || Loops[i]!.Members < Loops[best]!.Members)
                {
                    best = i;
                }
            }

            var loop = Loops[best] ??= new SharedLoop(best);
            loop.Members++;
            return loop;
        }
    }

    /// <summary>One member left <paramref name="loop"/>; the last one stops it. Any thread.</summary>
    public static void Release(SharedLoop loop)
    {
        lock (Gate)
        {
            if (--loop.Members > 0)
            {
                return;
            }

            Loops[loop.Index] = null;
        }

        if (loop.Loop.IsLoopThread)
        {
            // Its own thread cannot wait for itself to end.
            ThreadPool.UnsafeQueueUserWorkItem(static l => l.Dispose(), loop, preferLocal: false);
        }
        else
        {
            loop.Dispose();
        }
    }
}
