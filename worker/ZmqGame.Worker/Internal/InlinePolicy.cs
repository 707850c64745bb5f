namespace ZmqGame.Worker.Internal;

/// <summary>
/// When a handler that runs inline on the I/O thread moves to the thread pool: once it has been taken over (held the
/// thread past the inline budget) <see cref="Takeovers"/> times, in at least one run in a hundred. A handler that
/// blocks moves after its first few requests; one taken over once by its first run's JIT compilation, or now and then
/// by a preempted thread on a busy host, stays inline. Touched on the I/O thread only.
/// </summary>
internal sealed class InlinePolicy
{
    /// <summary>Takeovers before a handler moves.</summary>
    public const int Takeovers = 3;

    private long _runs;
    private long _takeovers;

    /// <summary>Counts one inline run.</summary>
    public void Ran() => _runs++;

    /// <summary>Counts one takeover; true when the handler should move to the thread pool now.</summary>
    public bool TakenOver() => ++_takeovers >= Takeovers && _takeovers * 100 >= _runs;
}
