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
