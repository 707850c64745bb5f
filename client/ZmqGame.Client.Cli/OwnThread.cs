namespace ZmqGame.Client.Cli;

/// <summary>
/// Runs blocking work (a blocking NetMQ receive, a console read) on a thread of its own. NetMQ's socket I/O
/// completes on the .NET thread pool, so a pool thread blocked in such work delays every connection in the
/// process — on a two-core machine by seconds, until the pool adds threads.
/// </summary>
internal static class OwnThread
{
    public static Task<T> Run<T>(string name, Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                done.SetResult(work());
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start();
        return done.Task;
    }
}
