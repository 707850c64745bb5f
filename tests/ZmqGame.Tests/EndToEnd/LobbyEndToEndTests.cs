using MessagePack;
using NetMQ.Sockets;
using ZmqGame.Protocol;
using ZmqGame.Tests.Support;
using ZmqGame.Tests.WorkerTests;
using ZmqGame.Worker;
using ZmqGame.Worker.Host;
using static ZmqGame.Tests.Support.Raw;

namespace ZmqGame.Tests.EndToEnd;

/// <summary>The sample lobby through the real broker and worker library, with clients speaking raw ZGC01.</summary>
[TestFixture]
[NonParallelizable]
public sealed class LobbyEndToEndTests
{
    private static byte[] Map(params (string Key, object Value)[] entries) =>
        MessagePackSerializer.Serialize(entries.ToDictionary(e => e.Key, e => e.Value), Payload.Options);

    private static Dictionary<string, object> Read(byte[] payload) =>
        MessagePackSerializer.Deserialize<Dictionary<string, object>>(payload, Payload.Options);

    private static ulong _requestIds;

    private static (byte Status, byte[] Payload) Call(RawSessionClient client, int command, byte[] payload) =>
        client.Call("lobby", Interlocked.Increment(ref _requestIds), command, payload);

    [Test]
    public async Task TwoPlayers_LogInChatInARoom_GetAnAnnouncement_AndAKickFiresTheCloseHookOnce()
    {
        using var broker = new BrokerFixture();
        var log = new LinesLogger();
        await using var app = await InProcessWorker.StartAsync(broker, 2, "lobby", worker => SampleServices.MapLobby(worker, log));

        using var ann = RawSessionClient.Welcomed(broker.Frontend, "lobby");
        using var bob = RawSessionClient.Welcomed(broker.Frontend, "lobby");

        // The binding reaches the client (WELCOME) before the reply of the handler that made it.
        Send(ann.Socket, [], B("ZGC01"), [ZgClient.Request], B("lobby"), RawZg.RequestHeader(1_000, LobbyCommands.Login, 0), Map(("Name", "ann")));
        var first = ann.Next(f => f.Count >= 3 && S(f[1]) == "ZGC01" && f[2][0] is ZgClient.Hello or ZgClient.Reply);
        Assert.That(first[2][0], Is.EqualTo(ZgClient.Hello));
        Assert.That(Welcome.TryParse(first[3], out var welcome) ? welcome.User : null, Is.EqualTo("ann"));
        Assert.That(ann.Next(f => f.Count >= 4 && f[2][0] == ZgClient.Reply)[3][12], Is.Zero);
        Assert.That(Call(bob, LobbyCommands.Login, Map(("Name", "bob"))).Status, Is.Zero);
        Assert.That(Call(ann, LobbyCommands.Join, Map(("Room", "tavern"))).Status, Is.Zero);
        Assert.That(Call(bob, LobbyCommands.Join, Map(("Room", "tavern"))).Status, Is.Zero);
        var said = Call(ann, LobbyCommands.Say, Map(("Room", "tavern"), ("Text", "hello bob")));
        Assert.That(said.Status, Is.Zero, () => S(said.Payload));

        foreach (var player in new[] { ann, bob })
        {
            var (command, payload) = NextPushOf(player, LobbyCommands.ChatLine);
            var line = Read(payload);
            Assert.That(line["From"], Is.EqualTo("ann"));
            Assert.That(line["Text"], Is.EqualTo("hello bob"));
            Assert.That(command, Is.EqualTo(LobbyCommands.ChatLine));
        }

        using var admin = new DealerSocket(broker.Control);
        var announced = RawControl.Act(admin, SessionActions.Push, new ActionArgs { All = true, LoggedIn = true, Command = 900 }, Map(("Text", "restart in 5 minutes")));
        Assert.That(announced.Sessions, Is.EqualTo(2));
        Assert.That(Read(NextPushOf(ann, 900).Payload)["Text"], Is.EqualTo("restart in 5 minutes"));
        Assert.That(Read(NextPushOf(bob, 900).Payload)["Text"], Is.EqualTo("restart in 5 minutes"));

        var kicked = RawControl.Act(admin, SessionActions.Kick, new ActionArgs { Users = ["bob"], Reason = "spamming" });
        Assert.That(kicked.Sessions, Is.EqualTo(1));
        Assert.That(bob.NextClosed(), Is.EqualTo((SessionCloseReason.Kicked, "spamming")));

        // The close hook tells the room; its log line names bob once.
        var left = Read(NextPushOf(ann, LobbyCommands.Notice).Payload);
        Assert.That((left["User"], left["What"]), Is.EqualTo(("bob", "left")));
        ann.Close();
        ann.NextClosed();
        await Eventually.True(() => log.Lines.Count(l => l.EventId == 1301) == 2, "both close hooks ran");
        var bobClosed = log.Lines.Where(l => l.EventId == 1301 && l.Text.Contains("user bob", StringComparison.Ordinal)).ToList();
        Assert.That(bobClosed, Has.Count.EqualTo(1));
        Assert.That(bobClosed[0].Text, Does.Contain("reason Kicked (spamming)"));
    }

    private static (int Command, byte[] Payload) NextPushOf(RawSessionClient client, int command)
    {
        while (true)
        {
            var push = client.NextPush();
            if (push.Command == command)
            {
                return push;
            }
        }
    }
}
