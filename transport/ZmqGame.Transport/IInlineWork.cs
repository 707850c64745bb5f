namespace ZmqGame.Transport;

/// <summary>
/// User code an the own transport's event loop runs on its own thread, at the safe point of a turn (after the turn's I/O,
/// before its output is written), instead of handing it to another thread. Queue it with
/// <see cref="IConnectionLoop.RunInline"/>.
/// <list type="bullet">
/// <item><see cref="Run"/> is the user code. While it runs, the loop's <c>IsLoopThread</c> is false on its thread:
/// what it does to loop state goes through <see cref="IConnectionLoop.Post"/>, as from any other thread. It may block.</item>
/// <item>If it holds the thread longer than the loop's inline budget, the loop's watchdog hands the loop to a fresh
/// thread, which goes on with the turns; <see cref="Run"/> finishes on the old thread all the same.</item>
/// <item><see cref="AfterRun"/> runs on the loop thread once <see cref="Run"/> has returned: at once on the same thread,
/// or, after a takeover, posted to the new loop thread (<c>takenOver</c> true). Either way, what <see cref="Run"/>
/// posted has run by then. Once the loop has stopped it may never run.</item>
/// </list>
/// Each queued item runs exactly once.
/// </summary>
internal interface IInlineWork
{
    /// <summary>The user code; exceptions go to the loop's error handler.</summary>
    void Run();

    /// <summary>
    /// On the loop's new thread, at the moment of a takeover, while <see cref="Run"/> still holds the old one: a chance
    /// to send what comes next elsewhere (items of the same kind already queued behind it run inline all the same).
    /// </summary>
    void TakenOver();

    /// <summary>Back on the loop thread after <see cref="Run"/>; <paramref name="takenOver"/>: it held the loop past the budget.</summary>
    void AfterRun(bool takenOver);
}
