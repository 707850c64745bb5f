using System.Collections.Concurrent;
using MessagePack;
using ZmqGame.Client;
using ZmqGame.Protocol;
using ZmqGame.Tests.Support;
using ZmqGame.Trigger;
using ZmqGame.Worker;

namespace ZmqGame.Tests.EndToEnd;

/// <summary>README.md, "Sessions and push": the worker, client and trigger snippets, line for line, against an in-process broker.</summary>
[TestFixture]
[NonParallelizable]
public sealed class ReadmeSessionsExampleTests
{
    [Test]
    public async Task ReadmeSessionSnippets_ChatPushBroadcastAndKick_WorkAsDocumented()
    {
        using var broker = new BrokerFixture();
        var closedLog = new ConcurrentQueue<string>();

        // --- the worker snippet (WorkerApp.Create instead of the host builder; the log is a list) ---
        await using var app = WorkerApp.Create(new WorkerOptions { Broker = broker.Backend, Slots = 2 });
        var lobby = app.MapService("lobby");
        lobby.Map<Login, LoginOk>(1, (login, ctx) => { ctx.Login(login.Name); return new LoginOk(login.Name); });
        lobby.Map<Join, Joined>(2, (join, ctx) => { ctx.JoinGroup("room:" + join.Room); return new Joined(join.Room); });
        lobby.Map<Say, Said>(3, (say, ctx) =>
        {
            ctx.Push(PushTarget.Group("room:" + say.Room).Except(ctx.Session.UserId!), 100, new ChatLine(ctx.Session.UserId!, say.Text));
            return new Said();
        });
        lobby.OnClientClosed(e => closedLog.Enqueue($"{e.Session.UserId} left: {e.Reason}"));
        await app.StartAsync();
        await broker.WaitForIdleWorkers("lobby", 2);

        // --- the client snippet, for ann and bob ---
        await using var ann = await ZmqGameClient.ConnectAsync(broker.Frontend, new() { SessionService = "lobby" });
        await using var bob = await ZmqGameClient.ConnectAsync(broker.Frontend, new() { SessionService = "lobby" });
        var bobChat = new TaskCompletionSource<ChatLine>(TaskCreationOptions.RunContinuationsAsynchronously);
        var annChat = 0;
        using var bobLines = bob.OnPush<ChatLine>(100, line => bobChat.TrySetResult(line));
        using var annLines = ann.OnPush<ChatLine>(100, _ => Interlocked.Increment(ref annChat));
        var bobClosed = new TaskCompletionSource<SessionClosedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        bob.SessionClosed += (_, e) => bobClosed.TrySetResult(e);
        using var stop = new CancellationTokenSource(Raw.Wait);
        var annPushes = ReadPushesAsync(ann, 900, stop.Token);

        foreach (var (client, name) in new[] { (ann, "ann"), (bob, "bob") })
        {
            await client.RequestAsync<Login, LoginOk>("lobby", 1, new Login(name));
            await client.RequestAsync<Join, Joined>("lobby", 2, new Join("tavern"));
        }

        await ann.RequestAsync<Say, Said>("lobby", 3, new Say("tavern", "hi bob!"));
        Assert.That(await bobChat.Task.WaitAsync(Raw.Wait), Is.EqualTo(new ChatLine("ann", "hi bob!")));

        // --- the trigger snippet ---
        await using var trigger = await TriggerClient.ConnectAsync(broker.Control);
        var reached = await trigger.BroadcastAsync(900, new Announcement("restart in 5 minutes"));
        await trigger.KickAsync(PushTarget.User("bob"), "AFK too long");

        Assert.That(reached.Sessions, Is.EqualTo(2));
        Assert.That((await annPushes).Read<Announcement>(), Is.EqualTo(new Announcement("restart in 5 minutes")));
        var closed = await bobClosed.Task.WaitAsync(Raw.Wait);
        Assert.That((closed.Reason, closed.Text), Is.EqualTo((SessionCloseReason.Kicked, "AFK too long")));
        await Eventually.True(() => closedLog.Contains("bob left: Kicked"), "the close hook ran for bob");
        Assert.That(annChat, Is.Zero, "the sender was excluded from her own chat line");
    }

    private static async Task<ServerPush> ReadPushesAsync(ZmqGameClient client, int command, CancellationToken ct)
    {
        await foreach (var push in client.PushesAsync(ct))
        {
            if (push.Command == command)
            {
                return push;
            }
        }

        throw new InvalidOperationException("the push stream ended");
    }

    [MessagePackObject(true)]
    public record Login(string Name);

    [MessagePackObject(true)]
    public record LoginOk(string User);

    [MessagePackObject(true)]
    public record Join(string Room);

    [MessagePackObject(true)]
    public record Joined(string Room);

    [MessagePackObject(true)]
    public record Say(string Room, string Text);

    [MessagePackObject(true)]
    public record Said;

    [MessagePackObject(true)]
    public record ChatLine(string From, string Text);

    [MessagePackObject(true)]
    public record Announcement(string Text);
}
