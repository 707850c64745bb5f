namespace ZmqGame.Client.Internal;

/// <summary>
/// The one place that decides how a caller's task is completed when its request ends (reply, status, deadline, loss).
/// <para>
/// The continuations run on the thread pool (<see cref="TaskCreationOptions.RunContinuationsAsynchronously"/>): the
/// I/O thread only hands the caller over, so no caller's code, however slow or blocking, ever runs on it or holds up
/// heartbeats, deadlines and the other requests. Completing on the I/O thread instead (the caller's code running
/// inline, its next request sent at once from there) saves the hand-off to the pool and back, but needs a loop that
/// hands itself to another thread when that code blocks; this is where that choice is made.
/// </para>
/// </summary>
internal static class CallerCompletion
{
    /// <summary>A caller's task source, completed the way this class decides.</summary>
    public static TaskCompletionSource<byte[]> NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
