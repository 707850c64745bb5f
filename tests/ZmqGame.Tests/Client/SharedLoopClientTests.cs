using System.Collections.Concurrent;
using System.Diagnostics;
using MessagePack;
using ZmqGame.Client;
using ZmqGame.Tests.Support;
using ZmqGame.Transport;
using ZmqGame.Trigger;
using ZmqGame.Worker;

namespace ZmqGame.Tests.Client;

/// <summary>
/// Many clients of one process on the shared loops (<see cref="ZmqGameClientOptions.SharedLoops"/>), against the real
/// broker and worker library in process: each behaves as a client alone, and the process needs a thread per core, not
/// a thread per client. The shared loops exist on the own transport only.
/// </summary>
[TestFixture]
[NonParallelizable]
[Category(Categories.OwnTransport)]
[CancelAfter(120_000)]
public sealed class SharedLoopClientTests
{
    [Test]
    public async Task ManyClients_OnSharedLoops_CallHoldSessionsGetPushes_AndOneDisposedLeavesTheOthersWorking()
    {
        using var broker = new BrokerFixture();
        var closed = new ConcurrentQueue<string>();
        await using var app = await StartLobbyAsync(broker, closed);

        var clients = await ConnectManyAsync(broker.Frontend, 200, SharedOptions());
        try
        {
            Assert.That(SharedLoopGroup.Running, Is.InRange(1, SharedLoopGroup.Capacity), "the clients run on the shared loops");
            await Task.WhenAll(clients.Select((c, i) => c.RequestAsync<Login, LoginOk>("lobby", 1, new Login("bot" + i)))).Within();
            Assert.That(clients.Select(c => c.Session!.Id).Distinct().Count(), Is.EqualTo(200), "one session each");

            var pushes = clients.Select(Listen).ToArray();
            await using (var trigger = await TriggerClient.ConnectAsync(broker.Control))
            {
                Assert.That((await trigger.BroadcastAsync(100, new Note("hello"))).Sessions, Is.EqualTo(200));
            }

            Assert.That(await Task.WhenAll(pushes).Within(), Has.All.EqualTo(new Note("hello")), "every client got the push");

            await clients[0].DisposeAsync();
            await Eventually.True(() => closed.Contains("bot0"), "the session of the disposed client closed");
            var echoes = await Task.WhenAll(clients.Skip(1).Select((c, i) => c.RequestAsync<Login, LoginOk>("lobby", 1, new Login("bot" + (i + 1))))).Within();
            Assert.That(echoes.Select(e => e.User), Is.EqualTo(Enumerable.Range(1, 199).Select(i => "bot" + i)), "the others go on");
            Assert.That(closed, Is.EquivalentTo(new[] { "bot0" }), "only the disposed client left");
            Assert.That(SharedLoopGroup.Running, Is.InRange(1, SharedLoopGroup.Capacity));
        }
        finally
        {
            await Task.WhenAll(clients.Select(c => c.DisposeAsync().AsTask()));
        }

        await Eventually.True(() => SharedLoopGroup.Running == 0, "the shared loops stop with their last client");
    }

    [Test]
    public async Task SharedLoop_OneClientsConnectionDies_OnlyThatClientReconnects()
    {
        using var broker = new BrokerFixture();
        var closed = new ConcurrentQueue<string>();
        await using var app = await StartLobbyAsync(broker, closed);
        using var relay = new TcpRelay(new Uri(broker.Frontend).Port);

        var options = SharedOptions();
        options.HeartbeatInterval = TimeSpan.FromMilliseconds(100);
        var others = await ConnectManyAsync(broker.Frontend, 20, options);
        var cutOff = await ZmqGameClient.ConnectAsync($"tcp://127.0.0.1:{relay.Port}", options).Within();
        try
        {
            var otherResumes = 0;
            foreach (var other in others)
            {
                other.SessionChanged += (_, e) =>
                {
                    if (e.Resumed)
                    {
                        Interlocked.Increment(ref otherResumes);
                    }
                };
            }

            var resumed = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            cutOff.SessionChanged += (_, e) =>
            {
                if (e.Resumed)
                {
                    resumed.TrySetResult(true);
                }
            };
            var session = cutOff.Session!.Id;

            relay.Cut();
            var during = await Task.WhenAll(others.Select((c, i) => c.RequestAsync<Login, LoginOk>("lobby", 1, new Login("other" + i)))).Within();
            Assert.That(during.Select(d => d.User), Is.EqualTo(Enumerable.Range(0, 20).Select(i => "other" + i)), "the others are served while one client is cut off");
            relay.Mend();

            Assert.That(await resumed.Task.Within(), Is.True, "the cut-off client reconnected and resumed its session");
            Assert.That(cutOff.Session!.Id, Is.EqualTo(session));
            Assert.That((await cutOff.RequestAsync<Login, LoginOk>("lobby", 1, new Login("back")).Within()).User, Is.EqualTo("back"));
            Assert.That(otherResumes, Is.Zero, "no other client lost its connection");
            Assert.That(closed, Is.Empty, "no session closed");
        }
        finally
        {
            await cutOff.DisposeAsync();
            await Task.WhenAll(others.Select(c => c.DisposeAsync().AsTask()));
        }
    }

    [Test]
    public async Task FiveHundredClients_OnSharedLoops_AddAThreadPerCoreAtMost()
    {
        using var broker = new BrokerFixture();
        await using var app = await StartLobbyAsync(broker, new ConcurrentQueue<string>());
        foreach (var warm in await ConnectManyAsync(broker.Frontend, 8, SharedOptions()))
        {
            await warm.RequestAsync<Login, LoginOk>("lobby", 1, new Login("warm" + warm.Session!.Id));
            await warm.DisposeAsync();
        }

        await Eventually.True(() => SharedLoopGroup.Running == 0, "no shared loop left by the warm-up");

        var before = Threads();
        var clients = await ConnectManyAsync(broker.Frontend, 500, SharedOptions());
        try
        {
            var added = Threads() - before;
            await Task.WhenAll(clients.Select((c, i) => c.RequestAsync<Login, LoginOk>("lobby", 1, new Login("x" + i)))).Within();

            // The shared loops (one per core at most) and what the thread pool may add for 500 connects at once; a loop
            // thread per client would be 500.
            Assert.That(added, Is.LessThan(SharedLoopGroup.Capacity + 60), $"threads before {before}, with 500 clients {before + added}");
            Assert.That(SharedLoopGroup.Running, Is.InRange(1, SharedLoopGroup.Capacity));
        }
        finally
        {
            await Task.WhenAll(clients.Select(c => c.DisposeAsync().AsTask()));
        }

        await Eventually.True(() => SharedLoopGroup.Running == 0, "the shared loops stop with their last client");
    }

    [Test]
    public async Task SharedLoop_ConnectFails_TheClientsPlaceIsGivenBack()
    {
        var options = SharedOptions();
        options.ConnectTimeout = TimeSpan.FromMilliseconds(300);
        var attempts = Enumerable.Range(0, 4).Select(_ => ZmqGameClient.ConnectAsync(ClientTestSupport.DeadEndpoint(), options)).ToArray();

        foreach (var attempt in attempts)
        {
            Assert.ThrowsAsync<TimeoutException>(async () => await attempt.WaitAsync(TimeSpan.FromSeconds(30)));
        }

        await Eventually.True(() => SharedLoopGroup.Running == 0, "no shared loop is left running by clients that never connected");
    }

    private static int Threads()
    {
        using var self = Process.GetCurrentProcess();
        return self.Threads.Count;
    }

    private static ZmqGameClientOptions SharedOptions() => new() { SharedLoops = true, SessionService = "lobby", ConnectTimeout = TimeSpan.FromSeconds(20) };

    private static async Task<ZmqGameClient[]> ConnectManyAsync(string endpoint, int count, ZmqGameClientOptions options) =>
        await Task.WhenAll(Enumerable.Range(0, count).Select(_ => ZmqGameClient.ConnectAsync(endpoint, options))).WaitAsync(TimeSpan.FromSeconds(60));

    private static Task<Note> Listen(ZmqGameClient client)
    {
        var got = new TaskCompletionSource<Note>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.OnPush<Note>(100, note => got.TrySetResult(note));
        return got.Task;
    }

    private static async Task<WorkerApp> StartLobbyAsync(BrokerFixture broker, ConcurrentQueue<string> closed)
    {
        var app = WorkerApp.Create(new WorkerOptions { Broker = broker.Backend, Slots = 2 });
        var lobby = app.MapService("lobby");
        lobby.Map<Login, LoginOk>(1, (login, ctx) =>
        {
            ctx.Login(login.Name);
            return new LoginOk(login.Name);
        });
        lobby.OnClientClosed(e => closed.Enqueue(e.Session.UserId ?? "?"));
        await app.StartAsync();
        await broker.WaitForIdleWorkers("lobby", 2);
        return app;
    }

    [MessagePackObject(true)]
    public record Login(string Name);

    [MessagePackObject(true)]
    public record LoginOk(string User);

    [MessagePackObject(true)]
    public record Note(string Text);
}
