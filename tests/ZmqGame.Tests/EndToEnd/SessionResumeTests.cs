using MessagePack;
using ZmqGame.Client;
using ZmqGame.Protocol;
using ZmqGame.Tests.Support;
using ZmqGame.Worker;

namespace ZmqGame.Tests.EndToEnd;

/// <summary>Sessions through the client and worker libraries across a broker restart.</summary>
[TestFixture]
[NonParallelizable]
public sealed class SessionResumeTests
{
    /// <remarks>
    /// The request asked at the instant of the restart relies on the transport telling the client that its connection
    /// died, on NetMQ too (its connection loop watches each socket for a lost connection): a request written into the
    /// old connection as it died is not left there to end in the client's own timeout.
    /// </remarks>
    [Test]
    public async Task BrokerRestart_WithinTheSessionTimeout_ClientResumesWithItsUserAndGroups()
    {
        var keyFile = Path.Combine(Path.GetTempPath(), "zmqgame-key-" + Guid.NewGuid().ToString("N"));
        var first = new BrokerFixture(o => o.SessionKeyFile = keyFile);
        try
        {
            await using var app = WorkerApp.Create(new WorkerOptions
            {
                Broker = first.Backend,
                Slots = 1,
                HeartbeatInterval = TimeSpan.FromMilliseconds(200),
                ReconnectDelayMin = TimeSpan.FromMilliseconds(10),
                ReconnectDelayMax = TimeSpan.FromMilliseconds(100),
            });
            var game = app.MapService("game");
            game.Map<Name, Name>(1, (name, ctx) =>
            {
                ctx.Login(name.Value);
                ctx.JoinGroup("room:1");
                return name;
            });
            game.Map<Name, Name>(2, (_, ctx) => new Name(ctx.Session.UserId ?? "-"));
            await app.StartAsync();
            await first.WaitForIdleWorkers("game");

            await using var client = await ZmqGameClient.ConnectAsync(first.Frontend, new ZmqGameClientOptions
            {
                HeartbeatInterval = TimeSpan.FromMilliseconds(200),
                ReconnectDelayMin = TimeSpan.FromMilliseconds(10),
                ReconnectDelayMax = TimeSpan.FromMilliseconds(100),
            });
            await client.RequestAsync<Name, Name>("game", 1, new Name("ann"));
            var id = client.Session!.Id;
            var resumed = new TaskCompletionSource<SessionChangedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
            client.SessionChanged += (_, e) =>
            {
                if (e.Resumed)
                {
                    resumed.TrySetResult(e);
                }
            };
            var closed = 0;
            client.SessionClosed += (_, _) => Interlocked.Increment(ref closed);

            // The broker goes away and comes back on the same endpoints with the same session key.
            using var second = await first.RestartAsync(o => o.SessionKeyFile = keyFile);

            // Asked at once, before the client may have noticed the restart: it names its session, the new broker
            // answers `no session`, the client resumes and sends it again.
            var whoAmINow = await client.RequestAsync<Name, Name>("game", 2, new Name(string.Empty));
            Assert.That(whoAmINow.Value, Is.EqualTo("ann"));
            var again = await resumed.Task.WaitAsync(Raw.Wait);
            Assert.That(again.Session.Id, Is.EqualTo(id));
            Assert.That(again.Session.UserId, Is.EqualTo("ann"));
            Assert.That(again.Session.Groups, Is.EqualTo(new[] { "room:1" }));
            Assert.That(closed, Is.Zero, "the session never ended");
            await second.WaitForIdleWorkers("game");
            var whoAmI = await client.RequestAsync<Name, Name>("game", 2, new Name(string.Empty));
            Assert.That(whoAmI.Value, Is.EqualTo("ann"), "the worker sees the binding through the new broker");
            Assert.That(second.Stats.SessionsResumed, Is.EqualTo(1));
        }
        finally
        {
            first.Dispose();
            File.Delete(keyFile);
        }
    }

    /// <summary>A broker on the endpoints its predecessor just closed: NetMQ closes listeners asynchronously, so binding
    /// is retried until the port is free again (bounded).</summary>
    [MessagePackObject(true)]
    public record Name(string Value);
}
