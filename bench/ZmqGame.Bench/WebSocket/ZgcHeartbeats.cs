namespace ZmqGame.Bench.WebSocket;

/// <summary>Heartbeats for many sessions, as the client library sends them: each one once per interval, spread over it in 100 slices.</summary>
internal static class ZgcHeartbeats
{
    /// <summary>Every session heartbeats once per <paramref name="interval"/>, spread over it, until stopped; returns how many were sent.</summary>
    public static async Task<long> RunAsync(IReadOnlyList<ZgcWebSocketSession> sessions, TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval / Math.Max(1, Math.Min(sessions.Count, 100)));
        var slices = Math.Max(1, Math.Min(sessions.Count, 100));
        var slice = 0;
        var sent = 0L;
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var beats = new List<Task>();
                for (var i = slice; i < sessions.Count; i += slices)
                {
                    if (!sessions[i].Lost)
                    {
                        beats.Add(sessions[i].HeartbeatAsync(cancellationToken));
                    }
                }

                try
                {
                    await Task.WhenAll(beats).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is System.Net.WebSockets.WebSocketException or ObjectDisposedException or InvalidOperationException)
                {
                    // A lost connection: its session says Lost.
                }

                sent += beats.Count(b => b.IsCompletedSuccessfully);
                slice = (slice + 1) % slices;
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }

        return sent;
    }
}
