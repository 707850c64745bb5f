using MessagePack;
using ZmqGame.Client;
using ZmqGame.Protocol;
using ZmqGame.Tests.Support;
using ZmqGame.Worker;

namespace ZmqGame.Tests.EndToEnd;

/// <summary>The README's worker and client, line for line, against an in-process broker.</summary>
[TestFixture]
public sealed class ReadmeExampleTests
{
    [Test]
    public async Task ReadmeWorkerAndClient_WorkAsDocumented()
    {
        using var broker = new BrokerFixture();
        var errors = new List<string>();

        // --- as in README.md, "A worker in ten lines" (WorkerApp.Create instead of the host builder) ---
        await using var app = WorkerApp.Create(new WorkerOptions { Broker = broker.Backend, Slots = 2 });
        var game = app.MapService("game");
        game.Map<Hello, Welcome>(1, (hello, ctx) => new Welcome($"hi {hello.Name}"));
        game.Map<Move, Moved>(2, async (move, ctx) => await World.MoveAsync(move, ctx.RequestAborted));
        app.OnError((ctx, ex) => errors.Add($"cmd {ctx.Command} failed: {ex.Message}"));
        await app.StartAsync();
        await broker.WaitForIdleWorkers("game", 2);

        // --- as in README.md, the client side ---
        await using var client = await ZmqGameClient.ConnectAsync(broker.Frontend);
        var welcome = await client.RequestAsync<Hello, Welcome>("game", 1, new Hello("ada"));
        var moved = await client.RequestAsync<Move, Moved>("game", 2, new Move(3, 4));

        Assert.That(welcome.Text, Is.EqualTo("hi ada"));
        Assert.That(moved, Is.EqualTo(new Moved(3, 4)));

        var wrong = Assert.ThrowsAsync<ZmqGameRequestException>(() => client.RequestAsync<Move, Moved>("game", 2, new Move(-1, 0)));
        Assert.That(wrong!.Status, Is.EqualTo(Status.HandlerFailed));
        Assert.That(errors, Is.EqualTo(new[] { "cmd 2 failed: off the map" }));

        var missing = Assert.ThrowsAsync<ZmqGameRequestException>(() => client.RequestAsync<Hello, Welcome>("game", 9, new Hello("x")));
        Assert.That(missing!.Status, Is.EqualTo(Status.NoSuchRoute));
    }

    /// <summary>README.md, "Chat, push and kick in five minutes", typed into the real executables.</summary>
    [Test]
    [Platform(Exclude = "Win")]
    [NonParallelizable]
    public async Task ReadmeChatWalkthrough_TwoSessionsChat_TriggerAnnouncesAndKicks_CloseHookOnce()
    {
        var patience = TimeSpan.FromSeconds(30);
        using var broker = ProcessUnderTest.Start("ZmqGame.Broker", "tcp://127.0.0.1:0", "tcp://127.0.0.1:0", "--control", "tcp://127.0.0.1:0", "--session-key-file", "");
        var listening = await broker.WaitForLineAsync(Broker.BrokerProcessTests.ListeningLine, patience);
        var (frontend, backend, control) = (listening.Groups[1].Value.TrimEnd(','), listening.Groups[2].Value.TrimEnd(','), listening.Groups[3].Value);
        using var worker = ProcessUnderTest.Start("ZmqGame.Worker.Host", "--broker", backend);
        await worker.WaitForLineAsync("Slot 0 of service 'lobby' READY", patience);

        using var ann = ProcessUnderTest.Start("ZmqGame.Client.Cli", "session", "--service", "lobby", "--broker", frontend);
        using var bob = ProcessUnderTest.Start("ZmqGame.Client.Cli", "session", "--service", "lobby", "--broker", frontend);
        await ann.WaitForLineAsync("^session [0-9]+ user=- groups=$", patience);
        await bob.WaitForLineAsync("^session [0-9]+ user=- groups=$", patience);

        ann.WriteLine("""1 {"Name": "ann"}""");
        bob.WriteLine("""1 {"Name": "bob"}""");
        await ann.WaitForLineAsync("^reply 1 .*\"ann\"", patience);
        await bob.WaitForLineAsync("^reply 1 .*\"bob\"", patience);
        ann.WriteLine("""2 {"Room": "tavern"}""");
        await ann.WaitForLineAsync("^reply 2 ", patience);
        bob.WriteLine("""2 {"Room": "tavern"}""");
        await bob.WaitForLineAsync("^reply 2 ", patience);
        ann.WriteLine("""3 {"Room": "tavern", "Text": "hi bob!"}""");
        const string chatLine = """push 100 {"Room":"tavern","From":"ann","Text":"hi bob!"}""";
        await ann.WaitForLineAsync("^" + System.Text.RegularExpressions.Regex.Escape(chatLine) + "$", patience);
        await bob.WaitForLineAsync("^" + System.Text.RegularExpressions.Regex.Escape(chatLine) + "$", patience);

        var broadcast = await RunAsync(patience, "ZmqGame.Trigger.Cli", "broadcast", "--logged-in", "--cmd", "900", "--json", """{"Text": "server restarts in 5 minutes"}""", "--broker", control);
        Assert.That(broadcast.Output.Trim(), Is.EqualTo("pushed cmd 900 to 2 sessions (0 dropped)"));
        const string announcement = """push 900 {"Text":"server restarts in 5 minutes"}""";
        await ann.WaitForLineAsync("^" + System.Text.RegularExpressions.Regex.Escape(announcement) + "$", patience);
        await bob.WaitForLineAsync("^" + System.Text.RegularExpressions.Regex.Escape(announcement) + "$", patience);

        var kick = await RunAsync(patience, "ZmqGame.Trigger.Cli", "kick", "--user", "bob", "--reason", "AFK too long", "--broker", control);
        Assert.That(kick.Output.Trim(), Is.EqualTo("kicked 1 session"));
        await bob.WaitForLineAsync("^closed kicked: AFK too long$", patience);
        await ann.WaitForLineAsync("""^push 101 \{"Room":"tavern","User":"bob","What":"left"\}$""", patience);
        await worker.WaitForLineAsync("client closed: session [0-9]+ user bob reason Kicked \\(AFK too long\\)", patience);

        ann.CloseInput();
        bob.CloseInput();
        Assert.That(await ann.WaitForExitAsync(patience), Is.Zero, ann.Output);
        Assert.That(await bob.WaitForExitAsync(patience), Is.Zero, bob.Output);
        await worker.WaitForLineAsync("client closed: session [0-9]+ user ann reason ClientClosed", patience);
        Assert.That(worker.Lines.Count(l => l.Contains("user bob reason", StringComparison.Ordinal)), Is.EqualTo(1), worker.Output);
    }

    private static async Task<(int Code, string Output)> RunAsync(TimeSpan patience, string project, params string[] args)
    {
        using var process = ProcessUnderTest.Start(project, args);
        var code = await process.WaitForExitAsync(patience);
        Assert.That(code, Is.Zero, process.Output);
        return (code, process.Output);
    }

    [MessagePackObject(true)]
    public record Hello(string Name);

    [MessagePackObject(true)]
    public record Welcome(string Text);

    [MessagePackObject(true)]
    public record Move(int X, int Y);

    [MessagePackObject(true)]
    public record Moved(int X, int Y);

    private static class World
    {
        public static async Task<Moved> MoveAsync(Move move, CancellationToken cancellationToken)
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            return move.X < 0 ? throw new InvalidOperationException("off the map") : new Moved(move.X, move.Y);
        }
    }
}
