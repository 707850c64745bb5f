namespace ZmqGame.Tests.Support;

/// <summary>Waits on a condition set by another thread, with a deadline (for counters that have no signal).</summary>
internal static class Eventually
{
    public static async Task True(Func<bool> condition, string what, TimeSpan? timeout = null, Func<string>? context = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Raw.Wait);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting for: {what}\n{context?.Invoke()}");
            }

            await Task.Delay(10);
        }
    }

    /// <summary>As <see cref="True(Func{bool}, string, TimeSpan?, Func{string}?)"/> for a condition read asynchronously (e.g. on the broker's thread).</summary>
    public static async Task True(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Raw.Wait);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting for: {what}");
            }

            await Task.Delay(10);
        }
    }
}
