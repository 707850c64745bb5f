using System.Collections.Concurrent;
using MessagePack;
using ZmqGame.Broker;
using ZmqGame.Client;
using ZmqGame.Protocol;
using ZmqGame.Tests.Support;
using ZmqGame.Transport.WebSocket;
using ZmqGame.Worker;

namespace ZmqGame.Tests.WebSocket;

/// <summary>
/// A pumped client (<see cref="ZmqGameWebSocket.Pumped"/>) as in a Unity WebGL player, which has one thread: the test
/// thread is the player's main thread, with a SynchronizationContext that runs posted work only between frames (as
/// UnitySynchronizationContext does), and each frame calls <see cref="ZmqGameWebSocket.Pump"/>. Against a real broker's
/// WebSocket frontend and a real worker, the client logs in, calls, gets a push (a handler and a push stream), idles past
/// its silence window on heartbeats alone, resumes its session on a restarted broker and sees a deadline expire.
/// <para>
/// What proves that none of it needed another thread: the scenario runs in an execution context marked by an
/// <see cref="AsyncLocal{T}"/>. Whatever the client hands to another thread from there (a thread-pool work item,
/// <c>Task.Run</c>, a timer callback, a continuation queued to the pool) carries the mark, and the mark arriving on any
/// thread but the player's is recorded with its stack. The browser's side stays out of the count: the test bridge
/// (.NET's ClientWebSocket, standing in for the browser's WebSocket) opens its sockets without the mark, as a browser
/// does its networking outside the player's code; its events, like the browser's, only queue work for the next pump.
/// Every callback and continuation also records the thread it ran on.
/// </para>
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class PumpedClientThreadTests
{
    private const int Login = 1;
    private const int WhoAmI = 2;
    private const int Add = 3;
    private const int Hold = 4;
    private const int Welcome = 100;

    private static readonly TimeSpan Frame = TimeSpan.FromMilliseconds(5);

    private readonly ConcurrentQueue<string> offThread = new();
    private readonly ClientLog warnings = new();
    private readonly ManualResetEventSlim release = new();
    private string keyFile = null!;
    private BrokerFixture broker = null!;
    private WorkerApp app = null!;
    private IWebSocketBridge bridgeBefore = null!;
    private int playerThread;

    [SetUp]
    public async Task SetUp()
    {
        keyFile = Path.Combine(Path.GetTempPath(), $"zmqgame-pumped-{Guid.NewGuid():N}.key");
        broker = await StartBrokerAsync("ws://127.0.0.1:0", "tcp://127.0.0.1:0");
        app = WorkerApp.Create(new WorkerOptions
        {
            Broker = broker.Backend,
            Slots = 2,
            HeartbeatInterval = TimeSpan.FromMilliseconds(500),
            ReconnectDelayMin = TimeSpan.FromMilliseconds(10),
            ReconnectDelayMax = TimeSpan.FromMilliseconds(100),
        });
        var game = app.MapService("game");
        game.Map<Text, Text>(Login, (name, ctx) =>
        {
            ctx.Login(name.Value);
            ctx.PushToCaller(Welcome, new Text("welcome " + name.Value));
            return name;
        });
        game.Map<Text, Text>(WhoAmI, (_, ctx) => new Text(ctx.Session.UserId ?? "-"));
        game.Map<Sum, Sum>(Add, (sum, _) => new Sum(sum.A + sum.B, 0));
        game.Map<Text, Text>(Hold, (text, _) =>
        {
            release.Wait(TimeSpan.FromSeconds(10)); // a handler that blocks past the caller's deadline
            return text;
        });
        await app.StartAsync();
        await broker.WaitForIdleWorkers("game", 2);

        bridgeBefore = ZmqGameWebSocket.Bridge;
        ZmqGameWebSocket.Bridge = new BrowserLikeBridge();
        ZmqGameWebSocket.Pumped = true;
    }

    [TearDown]
    public async Task TearDown()
    {
        ZmqGameWebSocket.Pumped = false;
        ZmqGameWebSocket.Bridge = bridgeBefore;
        release.Set();
        await app.DisposeAsync();
        await broker.DisposeAsync();
        File.Delete(keyFile);
        release.Dispose();
    }

    [Test]
    public void Pumped_LoginCallPushHeartbeatsRestartAndDeadline_AllRunOnThePlayerThread()
    {
        playerThread = Environment.CurrentManagedThreadId;
        var player = new PlayerContext();
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(player);

        // The player's thread, the scenario and the pumps all run marked: whatever they hand to another thread is seen.
        var mark = new AsyncLocal<object?>(OnMarkMoved) { Value = "pumped client" };
        try
        {
            var scenario = PlayAsync();
            player.RunFramesUntil(scenario, TimeSpan.FromSeconds(60));
            scenario.GetAwaiter().GetResult();
        }
        finally
        {
            mark.Value = null;
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    /// <summary>What the player does, from its main thread; each await continues there, between frames.</summary>
    private async Task PlayAsync()
    {
        var ws = broker.WebSocket;
        var options = new ZmqGameClientOptions
        {
            HeartbeatInterval = TimeSpan.FromMilliseconds(200),
            Liveness = 3,
            ReconnectDelayMin = TimeSpan.FromMilliseconds(10),
            ReconnectDelayMax = TimeSpan.FromMilliseconds(100),
            LoggerFactory = warnings.Factory(),
        };

        var client = await ZmqGameClient.ConnectAsync(ws, options);
        OnPlayerThread("ConnectAsync continuation");
        Assert.That(client.Session, Is.Not.Null, "WELCOME over the pumped WebSocket");
        NothingOffThread("connect");

        var handled = new List<string>();
        var streamed = new List<string>();
        var changes = new List<SessionChangedEventArgs>();
        client.SessionChanged += (_, e) =>
        {
            OnPlayerThread("SessionChanged");
            changes.Add(e);
        };
        client.SessionClosed += (_, _) => OnPlayerThread("SessionClosed");
        using var onPush = client.OnPush<Text>(Welcome, t =>
        {
            OnPlayerThread("OnPush handler");
            handled.Add(t.Value);
        });
        using var stop = new CancellationTokenSource();
        var stream = ReadPushesAsync(client.PushesAsync(stop.Token), streamed);

        // Login (its reply and its push), a call.
        Assert.That((await client.RequestAsync<Text, Text>("game", Login, new Text("ann"))).Value, Is.EqualTo("ann"));
        OnPlayerThread("RequestAsync continuation");
        Assert.That((await client.RequestAsync<Sum, Sum>("game", Add, new Sum(40, 2))).A, Is.EqualTo(42));
        await Until(() => handled.Count == 1 && streamed.Count == 1, "the push, to the handler and to the stream");
        Assert.That((handled[0], streamed[0]), Is.EqualTo(("welcome ann", "welcome ann")));
        NothingOffThread("login, call, push");

        // Idle for five silence windows: only heartbeats (a tick timer fired by the pump) keep the connection.
        var heartbeats = client.Core.HeartbeatsSent;
        await Task.Delay(TimeSpan.FromMilliseconds(3_000), PumpTime.Instance);
        OnPlayerThread("pumped delay continuation");
        Assert.That(client.Core.HeartbeatsSent - heartbeats, Is.GreaterThanOrEqualTo(5), "heartbeats went out while idle");
        Assert.That(client.Core.ConnectionsOpened, Is.EqualTo(1), "no reconnect while idle: " + Warnings());
        Assert.That((await client.RequestAsync<Text, Text>("game", WhoAmI, new Text(string.Empty))).Value, Is.EqualTo("ann"));
        NothingOffThread("idle on heartbeats");

        // The broker restarts on the same ports with the same session key: the client reconnects (its backoff checked
        // by the pump) and resumes its session.
        var sessionId = client.Session!.Id;
        var wsPort = new Uri(ws).Port;
        var backend = broker.Backend;
        await Unmarked(async () => await broker.DisposeAsync());
        await Until(() => client.Core.ConnectionsOpened >= 2, "a reconnect attempt after the broker went away");
        broker = await Unmarked(() => StartBrokerAsync($"ws://127.0.0.1:{wsPort}", backend, retry: true));
        await Until(() => changes.Exists(c => c.Resumed), "the session resumed on the restarted broker");
        Assert.That(changes.Find(c => c.Resumed)!.Session.Id, Is.EqualTo(sessionId));
        await Unmarked(() => broker.WaitForIdleWorkers("game", 2));
        Assert.That((await client.RequestAsync<Text, Text>("game", WhoAmI, new Text(string.Empty))).Value, Is.EqualTo("ann"));
        NothingOffThread("broker restart, reconnect, resume");

        // A deadline expires (the handler holds the request): the client's deadline timer fires in the pump.
        ZmqGameRequestException? timedOut = null;
        try
        {
            await client.RequestAsync<Text, Text>("game", Hold, new Text("slow"), TimeSpan.FromMilliseconds(300));
        }
        catch (ZmqGameRequestException ex)
        {
            timedOut = ex;
        }

        OnPlayerThread("deadline continuation");
        Assert.That(timedOut?.Status, Is.EqualTo(Status.Timeout));
        NothingOffThread("deadline");

        stop.Cancel();
        await stream;
        NothingOffThread("push stream cancelled");

        // Disposal: CLOSE answered by CLOSED, the loop's exit, all in the pump.
        await client.DisposeAsync();
        OnPlayerThread("DisposeAsync continuation");
        NothingOffThread("disposal");
    }

    private async Task ReadPushesAsync(IAsyncEnumerable<ServerPush> pushes, List<string> into)
    {
        try
        {
            await foreach (var push in pushes)
            {
                OnPlayerThread("push stream");
                into.Add(push.Read<Text>().Value);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Waits, frame after frame, until <paramref name="condition"/> holds (at most 20 s).</summary>
    private static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("not in time: " + what);
            }

            await Task.Delay(Frame, PumpTime.Instance);
        }
    }

    /// <summary>Test machinery (the broker's restart) runs outside the client's marked execution context.</summary>
    private static async Task<T> Unmarked<T>(Func<Task<T>> work)
    {
        Task<T> task;
        using (ExecutionContext.SuppressFlow())
        {
            task = Task.Run(work);
        }

        return await task;
    }

    private static Task<bool> Unmarked(Func<Task> work) => Unmarked(async () =>
    {
        await work();
        return true;
    });

    private async Task<BrokerFixture> StartBrokerAsync(string ws, string backend, bool retry = false)
    {
        var deadline = DateTime.UtcNow + Raw.Wait;
        while (true)
        {
            try
            {
                return await BrokerFixture.StartAsync(o =>
                {
                    o.WebSocket = ws;
                    o.Backend = backend;
                    o.HeartbeatInterval = TimeSpan.FromMilliseconds(500);
                    o.SessionKeyFile = keyFile;
                });
            }
            catch (Exception) when (retry && DateTime.UtcNow < deadline)
            {
                // The ports of the broker just stopped are not free yet.
                await Task.Delay(20);
            }
        }
    }

    private void NothingOffThread(string step) =>
        Assert.That(offThread, Is.Empty, $"{step}: client work ran on another thread than the player's");

    private string Warnings() => string.Join(" | ", warnings.Entries.Select(e => e.Text));

    private void OnMarkMoved(AsyncLocalValueChangedArgs<object?> change)
    {
        if (change.ThreadContextChanged && change.CurrentValue is not null && Environment.CurrentManagedThreadId != playerThread)
        {
            offThread.Enqueue($"thread {Environment.CurrentManagedThreadId} ({Thread.CurrentThread.Name ?? "pool"}):\n{Environment.StackTrace}");
        }
    }

    private void OnPlayerThread(string what)
    {
        if (Environment.CurrentManagedThreadId != playerThread)
        {
            offThread.Enqueue($"{what} ran on thread {Environment.CurrentManagedThreadId}");
        }
    }

    /// <summary>The client's log, kept to explain a failure.</summary>
    private sealed class ClientLog : Microsoft.Extensions.Logging.ILoggerProvider, Microsoft.Extensions.Logging.ILogger
    {
        private readonly ConcurrentQueue<(int EventId, string Text)> entries = new();

        public IReadOnlyList<(int EventId, string Text)> Entries => [.. entries];

        public Microsoft.Extensions.Logging.LoggerFactory Factory() => new Microsoft.Extensions.Logging.LoggerFactory([this]);

        public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(
            Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            entries.Enqueue((eventId.Id, $"{DateTime.UtcNow:HH:mm:ss.fff} {formatter(state, exception)}"));

        public void Dispose()
        {
        }
    }

    /// <summary>The player's main thread: posted work runs between frames; each frame pumps the client.</summary>
    private sealed class PlayerContext : SynchronizationContext
    {
        private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> posted = [];

        public override void Post(SendOrPostCallback d, object? state) => posted.Add((d, state));

        public override void Send(SendOrPostCallback d, object? state) => throw new NotSupportedException("a player's main thread is never waited on");

        /// <summary>Frames until <paramref name="done"/> completes: what was posted, then <see cref="ZmqGameWebSocket.Pump"/>.</summary>
        public void RunFramesUntil(Task done, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (!done.IsCompleted)
            {
                if (DateTime.UtcNow > deadline)
                {
                    Assert.Fail("the scenario did not finish in time");
                }

                if (posted.TryTake(out var work, Frame))
                {
                    work.Callback(work.State);
                    while (posted.TryTake(out work))
                    {
                        work.Callback(work.State);
                    }
                }

                ZmqGameWebSocket.Pump();
            }
        }
    }

    /// <summary>The browser's WebSocket, played by .NET's ClientWebSocket: its networking runs outside the player's code.</summary>
    private sealed class BrowserLikeBridge : IWebSocketBridge
    {
        private readonly ClientWebSocketBridge inner = new();

        public IWebSocketConnection Open(string url, string subProtocol, IWebSocketEvents events)
        {
            using (ExecutionContext.SuppressFlow())
            {
                return inner.Open(url, subProtocol, events);
            }
        }
    }

    [MessagePackObject(true)]
    public record Text(string Value);

    [MessagePackObject(true)]
    public record Sum(int A, int B);
}
