using System.Diagnostics;
using MessagePack;
using ZmqGame.Client;
using ZmqGame.Protocol;
using ZmqGame.Tests.Support;
using ZmqGame.Tests.WorkerTests;
using ZmqGame.Worker;

namespace ZmqGame.Tests.Client;

/// <summary>
/// A connection to the broker that dies is noticed by the transport itself, on the own transport and on NetMQ alike:
/// the client ends (or sends again) what it had in flight, and a worker registers again, within moments and not
/// after their heartbeats find the broker silent. Heartbeats here are slow on purpose (15 s and 20 s apart; silence
/// would take 45 s to notice), so only the transport's report of the lost connection can make these pass.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class BrokerConnectionLostTests
{
    /// <summary>Well past what noticing a lost connection and reconnecting take, well short of any deadline or heartbeat.</summary>
    private static readonly TimeSpan Promptly = TimeSpan.FromSeconds(6);

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Test]
    public async Task RequestInFlight_BrokerStops_EndsBrokerLostWithinSecondsNotAtItsDeadline()
    {
        using var broker = new BrokerFixture();
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await StartWorkerAsync(broker.Backend, game => game.Map<Payload, Payload>(1, async (p, ctx) =>
        {
            running.TrySetResult();
            await Task.Delay(Timeout.InfiniteTimeSpan, ctx.RequestAborted);
            return p;
        }));
        await broker.WaitForIdleWorkers("game");
        await using var client = await ZmqGameClient.ConnectAsync(broker.Frontend, SlowHeartbeats());

        var inFlight = client.RequestAsync<Payload, Payload>("game", 1, new Payload("held"), Deadline);
        await running.Task.WaitAsync(Raw.Wait);
        var stopped = Stopwatch.StartNew();
        broker.Dispose();

        var ex = Assert.ThrowsAsync<ZmqGameRequestException>(async () => await inFlight.WaitAsync(Deadline / 2));
        Assert.That(ex!.Status, Is.EqualTo(Status.BrokerLost), ex.Message);
        Assert.That(ex.ConnectionLost, Is.True);
        Assert.That(stopped.Elapsed, Is.LessThan(Promptly), "ended when the connection was lost, not by the deadline or silence");
    }

    [Test]
    public async Task IdempotentRequestInFlight_BrokerRestarts_GoesAgainAndIsAnsweredWithinSeconds()
    {
        var keyFile = Path.Combine(Path.GetTempPath(), "zmqgame-key-" + Guid.NewGuid().ToString("N"));
        var first = new BrokerFixture(o => o.SessionKeyFile = keyFile);
        try
        {
            var runs = 0;
            var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await using var app = await StartWorkerAsync(first.Backend, game => game.MapGroup(idempotent: true).Map<Payload, Payload>(1, async (p, ctx) =>
            {
                if (Interlocked.Increment(ref runs) == 1)
                {
                    // The first run is held until its broker is gone; the one sent again answers.
                    running.TrySetResult();
                    await Task.Delay(Timeout.InfiniteTimeSpan, ctx.RequestAborted);
                }

                return p with { Value = p.Value + " again" };
            }));
            await first.WaitForIdleWorkers("game");
            await using var client = await ZmqGameClient.ConnectAsync(first.Frontend, SlowHeartbeats());

            var inFlight = client.RequestAsync<Payload, Payload>("game", 1, new Payload("held"), Deadline);
            await running.Task.WaitAsync(Raw.Wait);
            var stopped = Stopwatch.StartNew();
            using var second = await first.RestartAsync(o => o.SessionKeyFile = keyFile);

            var reply = await inFlight.WaitAsync(Deadline / 2);
            Assert.That(reply.Value, Is.EqualTo("held again"));
            Assert.That(stopped.Elapsed, Is.LessThan(Promptly), "sent again when the connection was lost, not after the deadline or silence");
            Assert.That(Volatile.Read(ref runs), Is.EqualTo(2));
        }
        finally
        {
            first.Dispose();
            File.Delete(keyFile);
        }
    }

    [Test]
    public async Task WorkerConnected_BrokerRestarts_RegistersAgainWithinSeconds()
    {
        var first = new BrokerFixture();
        try
        {
            await using var app = await StartWorkerAsync(first.Backend, game => game.Map<Payload, Payload>(1, (p, _) => p with { Value = p.Value + " back" }));
            await first.WaitForIdleWorkers("game");

            var stopped = Stopwatch.StartNew();
            using var second = await first.RestartAsync();

            // Without a report of the lost connection, the new broker would hear of the worker at its next heartbeat
            // (20 s away), answer it DISCONNECT, and only then would it register.
            await second.WaitForIdleWorkers("game");
            Assert.That(stopped.Elapsed, Is.LessThan(Promptly), "registered again when the connection was lost, not at its next heartbeat");
            await using var client = await ZmqGameClient.ConnectAsync(second.Frontend, SlowHeartbeats());
            var reply = await client.RequestAsync<Payload, Payload>("game", 1, new Payload("there"), Deadline).WaitAsync(Raw.Wait);
            Assert.That(reply.Value, Is.EqualTo("there back"));
        }
        finally
        {
            first.Dispose();
        }
    }

    /// <summary>A client whose first heartbeat after a request is 15 s away, and whose heartbeats would take 45 s to find a broker silent.</summary>
    private static ZmqGameClientOptions SlowHeartbeats() => new()
    {
        HeartbeatInterval = TimeSpan.FromSeconds(15),
        Liveness = 3,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        ReconnectDelayMin = TimeSpan.FromMilliseconds(10),
        ReconnectDelayMax = TimeSpan.FromMilliseconds(100),
    };

    /// <summary>A started worker of service <c>game</c> with two slots and heartbeats 20 s apart.</summary>
    private static async Task<WorkerApp> StartWorkerAsync(string backend, Action<RouteGroup> map)
    {
        var app = WorkerApp.Create(TestOptions.For(backend, slots: 2, heartbeat: TimeSpan.FromSeconds(20)));
        map(app.MapService("game"));
        await app.StartAsync();
        return app;
    }

    [MessagePackObject(true)]
    public record Payload(string Value);
}
