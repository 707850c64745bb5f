using System.Collections.Concurrent;
using System.Runtime.InteropServices.JavaScript;
using ZmqGame.Client;
using ZmqGame.Transport.WebSocket;

namespace ZmqGame.WebGl.Player;

/// <summary>
/// The player: as a Unity WebGL game, one thread; the page calls <see cref="Frame"/> from its frame timer (Unity's
/// <c>Update</c>), which runs the work posted to the main thread's context, then <see cref="ZmqGameWebSocket.Pump"/>.
/// <see cref="Start"/> plays: connect, log in (the worker pushes a welcome), a call; <see cref="Frame"/> returns the
/// outcome once there is one ("ok …" or "error: …").
/// </summary>
internal static partial class Player
{
    private const int Login = 1;
    private const int Add = 3;
    private const int Welcome = 100;

    private static readonly MainThread Context = new();
    private static string outcome = string.Empty;

    public static void Main()
    {
    }

    [JSExport]
    internal static void Start(string broker)
    {
        ZmqGameWebSocket.Bridge = new BrowserBridge();
        ZmqGameWebSocket.Pumped = true;
        SynchronizationContext.SetSynchronizationContext(Context);
        _ = PlayAsync(broker);
    }

    [JSExport]
    internal static string Frame()
    {
        SynchronizationContext.SetSynchronizationContext(Context);
        Context.RunPosted();
        ZmqGameWebSocket.Pump();
        return outcome;
    }

    private static async Task PlayAsync(string broker)
    {
        try
        {
            var options = new ZmqGameClientOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(500) };
            var client = await ZmqGameClient.ConnectAsync(broker, options);
            var pushed = new TaskCompletionSource<string>();
            using var onPush = client.OnPush<string>(Welcome, text => pushed.TrySetResult(text));
            var name = await client.RequestAsync<string, string>("game", Login, "ann");
            var push = await pushed.Task;
            var sum = await client.RequestAsync<int[], int>("game", Add, [40, 2]);
            outcome = $"ok session={client.Session?.Id > 0} login={name} push={push} add={sum}";
            await client.DisposeAsync();
        }
        catch (Exception ex)
        {
            outcome = "error: " + ex;
        }
    }

    /// <summary>The main thread's context: what is posted runs in the next frame (as UnitySynchronizationContext).</summary>
    private sealed class MainThread : SynchronizationContext
    {
        private readonly ConcurrentQueue<(SendOrPostCallback Callback, object? State)> posted = new();

        public override void Post(SendOrPostCallback d, object? state) => posted.Enqueue((d, state));

        public void RunPosted()
        {
            for (var left = posted.Count; left > 0 && posted.TryDequeue(out var work); left--)
            {
                work.Callback(work.State);
            }
        }
    }
}
