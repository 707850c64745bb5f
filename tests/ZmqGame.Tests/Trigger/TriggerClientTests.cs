using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MessagePack;
using NetMQ;
using ZmqGame.Protocol;
using ZmqGame.Trigger;

namespace ZmqGame.Tests.Trigger;

/// <summary>The trigger library against a fake control endpoint: the frames it sends, and how it reads answers.</summary>
[TestFixture]
public sealed class TriggerClientTests
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(300);

    [Test]
    public async Task PushAsync_SendsTargetCmdAndMessagePackPayload_AndReturnsSessionsAndDropped()
    {
        using var broker = new FakeControlEndpoint { Respond = _ => FakeControlEndpoint.Result(2, 1) };
        await using var trigger = await TriggerClient.ConnectAsync(broker.Endpoint);

        var result = await trigger.PushAsync(
            PushTarget.Users("42", "43").Or(PushTarget.Group("room:lobby")).Except("44").ExceptSessions(9), 7, new Dictionary<string, string> { ["text"] = "hi" });

        Assert.That(result, Is.EqualTo(new TriggerResult(2, 1)));
        var request = await broker.NextRequestAsync();
        Assert.That(request.Command, Is.EqualTo("push"));
        Assert.That(request.Arguments, Has.Count.EqualTo(2), "arguments, then one payload frame");
        var args = request.Args;
        Assert.That(args.Users, Is.EqualTo(new[] { "42", "43" }));
        Assert.That(args.Groups, Is.EqualTo(new[] { "room:lobby" }));
        Assert.That(args.Exclude, Is.EqualTo(new[] { "44" }));
        Assert.That(args.ExcludeSessions, Is.EqualTo(new ulong[] { 9 }));
        Assert.That(args.All, Is.False);
        Assert.That(args.Command, Is.EqualTo(7));
        Assert.That(Payload.Deserialize<Dictionary<string, string>>(request.Arguments[1])["text"], Is.EqualTo("hi"));
    }

    [Test]
    public async Task PushRawAsync_SendsThePayloadFrameAsIs()
    {
        using var broker = new FakeControlEndpoint();
        await using var trigger = await TriggerClient.ConnectAsync(broker.Endpoint);

        await trigger.PushRawAsync(PushTarget.Session(5), -3, new byte[] { 1, 2, 3 });

        var request = await broker.NextRequestAsync();
        Assert.That(request.Args.Sessions, Is.EqualTo(new ulong[] { 5 }));
        Assert.That(request.Args.Command, Is.EqualTo(-3));
        Assert.That(request.Arguments[1], Is.EqualTo(new byte[] { 1, 2, 3 }));
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task BroadcastAsync_TargetsEverySession_OrOnlyLoggedIn(bool loggedInOnly)
    {
        using var broker = new FakeControlEndpoint { Respond = _ => FakeControlEndpoint.Result(100, 3) };
        await using var trigger = await TriggerClient.ConnectAsync(broker.Endpoint);

        var result = await trigger.BroadcastAsync(12, "maintenance in 5 minutes", loggedInOnly);

        Assert.That(result, Is.EqualTo(new TriggerResult(100, 3)));
        var request = await broker.NextRequestAsync();
        Assert.That(request.Command, Is.EqualTo("push"));
        Assert.That(request.Args.All, Is.True);
        Assert.That(request.Args.LoggedIn, Is.EqualTo(loggedInOnly));
        Assert.That(request.Args.Command, Is.EqualTo(12));
        Assert.That(MessagePackSerializer.Deserialize<string>(request.Arguments[1]), Is.EqualTo("maintenance in 5 minutes"));
    }

    [Test]
    public async Task KickAsync_SendsTargetAndReason_WithoutPayload()
    {
        using var broker = new FakeControlEndpoint { Respond = _ => FakeControlEndpoint.Result(1, 0) };
        await using var trigger = await TriggerClient.ConnectAsync(broker.Endpoint);

        var result = await trigger.KickAsync(PushTarget.User("42"), "cheating");

        Assert.That(result.Sessions, Is.EqualTo(1));
        var request = await broker.NextRequestAsync();
        Assert.That(request.Command, Is.EqualTo("kick"));
        Assert.That(request.Arguments, Has.Count.EqualTo(1));
        Assert.That(request.Args.Users, Is.EqualTo(new[] { "42" }));
        Assert.That(request.Args.Reason, Is.EqualTo("cheating"));
    }

    [TestCase("join")]
    [TestCase("leave")]
    public async Task JoinAndLeaveGroup_SendTheGroupAndTarget(string action)
    {
        using var broker = new FakeControlEndpoint { Respond = _ => FakeControlEndpoint.Result(2, 0) };
        await using var trigger = await TriggerClient.ConnectAsync(broker.Endpoint);
        var target = PushTarget.Sessions(11, 12);

        var result = action == "join" ? await trigger.JoinGroupAsync(target, "guild:7") : await trigger.LeaveGroupAsync(target, "guild:7");

        Assert.That(result.Sessions, Is.EqualTo(2));
        var request = await broker.NextRequestAsync();
        Assert.That(request.Command, Is.EqualTo(action));
        Assert.That(request.Args.Group, Is.EqualTo("guild:7"));
        Assert.That(request.Args.Sessions, Is.EqualTo(new ulong[] { 11, 12 }));
    }

    [Test]
    public async Task SendToWorkerAsync_SendsServiceCmdAndPayload()
    {
        using var broker = new FakeControlEndpoint();
        await using var trigger = await TriggerClient.ConnectAsync(broker.Endpoint);

        var result = await trigger.SendToWorkerAsync("game", 30, new[] { 1, 2 });

        Assert.That(result.Sessions, Is.EqualTo(1), "1: the event was queued");
        var request = await broker.NextRequestAsync();
        Assert.That(request.Command, Is.EqualTo("worker"));
        Assert.That(request.Args.Service, Is.EqualTo("game"));
        Assert.That(request.Args.Command, Is.EqualTo(30));
        Assert.That(MessagePackSerializer.Deserialize<int[]>(request.Arguments[1]), Is.EqualTo(new[] { 1, 2 }));
    }

    [Test]
    public async Task StatsAsync_ReadsCountersNumericTopLevelEntriesAndServices()
    {
        using var broker = new FakeControlEndpoint { Respond = _ => StatsMap() };
        await using var trigger = await TriggerClient.ConnectAsync(broker.Endpoint);

        var stats = await trigger.StatsAsync();

        Assert.That((await broker.NextRequestAsync()).Command, Is.EqualTo("stats"));
        Assert.That(stats.Counters["replies"], Is.EqualTo(4));
        Assert.That(stats.Counters["bad_input.ControlMalformed"], Is.EqualTo(1));
        Assert.That(stats.Workers, Is.EqualTo(1));
        Assert.That(stats.Gauges["sessions"], Is.EqualTo(120));
        Assert.That(stats.Gauges["users"], Is.EqualTo(100));
        Assert.That(stats.Gauges.ContainsKey("counters"), Is.False);
        var game = stats.Services["game"];
        Assert.That((game.Workers, game.Idle, game.Waiting), Is.EqualTo((1L, 1L, 0L)));
        Assert.That(game.WorkerList.Single().Version, Is.EqualTo("7.1.0"));
        Assert.That(game.WorkerList.Single().UptimeSeconds, Is.EqualTo(12.5));
        Assert.That(stats.ToJson(), Does.Contain("\"sessions\":120"));
    }

    [Test]
    public async Task BrokerError_IsARefusedTriggerException_WithTheBrokersText()
    {
        using var broker = new FakeControlEndpoint { Respond = _ => FakeControlEndpoint.Error("not authorised") };
        await using var trigger = await TriggerClient.ConnectAsync(broker.Endpoint);

        var ex = Assert.ThrowsAsync<TriggerException>(() => trigger.KickAsync(PushTarget.All, "bye"));

        Assert.That(ex!.Failure, Is.EqualTo(TriggerFailure.Refused));
        Assert.That(ex.BrokerError, Is.EqualTo("not authorised"));
        Assert.That(ex.Message, Does.Contain("not authorised").And.Contain("kick"));
    }

    [Test]
    public async Task UnreadableAnswer_IsAMalformedAnswerTriggerException()
    {
        using var broker = new FakeControlEndpoint { Respond = _ => MessagePackSerializer.Serialize("hello") };
        await using var trigger = await TriggerClient.ConnectAsync(broker.Endpoint);

        var push = Assert.ThrowsAsync<TriggerException>(() => trigger.PushAsync(PushTarget.All, 1, 0));
        var stats = Assert.ThrowsAsync<TriggerException>(() => trigger.StatsAsync());

        Assert.That(push!.Failure, Is.EqualTo(TriggerFailure.MalformedAnswer));
        Assert.That(stats!.Failure, Is.EqualTo(TriggerFailure.MalformedAnswer));
    }

    [Test]
    public async Task NoBroker_FailsWithNoAnswer_WithinTheTimeout()
    {
        await using var trigger = await TriggerClient.ConnectAsync("tcp://127.0.0.1:" + FreePort(), new TriggerOptions { Timeout = Short });
        var clock = Stopwatch.StartNew();

        var ex = Assert.ThrowsAsync<TriggerException>(() => trigger.PushAsync(PushTarget.All, 1, "x"));

        Assert.That(ex!.Failure, Is.EqualTo(TriggerFailure.NoAnswer));
        Assert.That(ex.Message, Does.Contain("no answer from tcp://127.0.0.1:").And.Contain("is the broker running"));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), "never a hang");
    }

    [Test]
    public async Task AnswerAfterTheTimeout_IsNeverTakenForTheNextCommands()
    {
        // Push 13 goes unanswered; everything else is answered.
        using var broker = new FakeControlEndpoint { Respond = r => r.Command == "push" && r.Args.Command == 13 ? null : FakeControlEndpoint.Result(1, 0) };
        await using var trigger = await TriggerClient.ConnectAsync(broker.Endpoint, new TriggerOptions { Timeout = Short });
        await trigger.PushAsync(PushTarget.All, 1, "connected");
        var connected = await broker.NextRequestAsync();

        var ex = Assert.ThrowsAsync<TriggerException>(() => trigger.PushAsync(PushTarget.All, 13, "x"));
        Assert.That(ex!.Failure, Is.EqualTo(TriggerFailure.NoAnswer));
        var unanswered = await broker.NextRequestAsync();
        Assert.That(unanswered.Peer, Is.EqualTo(connected.Peer));
        broker.AnswerLate(unanswered, FakeControlEndpoint.Result(99, 99));

        var result = await trigger.PushAsync(PushTarget.All, 2, "y");

        Assert.That(result, Is.EqualTo(new TriggerResult(1, 0)), "the late answer to the first push went to its closed connection");
        var retried = await broker.NextRequestAsync();
        Assert.That(retried.Peer, Is.Not.EqualTo(unanswered.Peer), "a command that timed out closes the socket; the next opens a new one");
    }

    [Test]
    public async Task CommandsFromManyThreads_EachGetTheirOwnAnswer()
    {
        using var broker = new FakeControlEndpoint { Respond = r => FakeControlEndpoint.Result(r.Args.Command, 0) };
        await using var trigger = await TriggerClient.ConnectAsync(broker.Endpoint);

        var results = await Task.WhenAll(Enumerable.Range(1, 20).Select(i => Task.Run(() => trigger.PushAsync(PushTarget.All, i, i))));

        Assert.That(results.Select(r => r.Sessions), Is.EqualTo(Enumerable.Range(1, 20)));
    }

    [Test]
    public async Task WithCurveKeys_ConnectSendsAuthFirst_WithAProofTheBrokerCanOpen()
    {
        var server = new NetMQCertificate();
        var triggerKeys = new NetMQCertificate();
        using var broker = new FakeControlEndpoint(server) { Respond = r => r.Command == "auth" ? FakeControlEndpoint.Ok() : StatsMap() };

        await using var trigger = await TriggerClient.ConnectAsync(
            broker.Endpoint, new TriggerOptions { ServerPublicKey = server.PublicKeyZ85, SecretKey = triggerKeys.SecretKeyZ85 });
        var auth = await broker.NextRequestAsync();
        var stats = await trigger.StatsAsync();

        Assert.That(auth.Command, Is.EqualTo("auth"));
        Assert.That(auth.Arguments.Single(), Has.Length.EqualTo(TriggerAuth.ProofSize));
        Assert.That(TriggerAuth.TryOpen(auth.Arguments[0], server.SecretKey, out var publicKey, out var unixMs), Is.True);
        Assert.That(publicKey, Is.EqualTo(triggerKeys.PublicKey));
        Assert.That(Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - unixMs), Is.LessThan(60_000));
        Assert.That((await broker.NextRequestAsync()).Command, Is.EqualTo("stats"));
        Assert.That(stats.Counters["replies"], Is.EqualTo(4));
    }

    [Test]
    public async Task WithCurveKeys_EachProofHasAFreshNonce()
    {
        var server = new NetMQCertificate();
        var triggerKeys = new NetMQCertificate();
        using var broker = new FakeControlEndpoint(server) { Respond = _ => FakeControlEndpoint.Ok() };
        var options = new TriggerOptions { ServerPublicKey = server.PublicKeyZ85, SecretKey = triggerKeys.SecretKeyZ85 };

        await using (await TriggerClient.ConnectAsync(broker.Endpoint, options))
        {
        }

        await using (await TriggerClient.ConnectAsync(broker.Endpoint, options))
        {
        }

        var first = (await broker.NextRequestAsync()).Arguments[0];
        var second = (await broker.NextRequestAsync()).Arguments[0];
        Assert.That(first.AsSpan(TriggerAuth.KeySize, TriggerAuth.NonceSize).ToArray(), Is.Not.EqualTo(second.AsSpan(TriggerAuth.KeySize, TriggerAuth.NonceSize).ToArray()));
    }

    [Test]
    public void WithCurveKeys_ARefusedKey_FailsConnect()
    {
        var server = new NetMQCertificate();
        using var broker = new FakeControlEndpoint(server) { Respond = _ => FakeControlEndpoint.Error("not authorised") };

        var ex = Assert.ThrowsAsync<TriggerException>(() => TriggerClient.ConnectAsync(
            broker.Endpoint, new TriggerOptions { ServerPublicKey = server.PublicKeyZ85, SecretKey = new NetMQCertificate().SecretKeyZ85 }));

        Assert.That(ex!.Failure, Is.EqualTo(TriggerFailure.Refused));
        Assert.That(ex.Message, Does.Contain("refused the trigger key").And.Contain("not authorised"));
    }

    [Test]
    public async Task WithCurveKeys_NotAuthorisedOnAnOldConnection_ProvesTheKeyAgainAndRetriesOnce()
    {
        var server = new NetMQCertificate();
        using var broker = new FakeControlEndpoint(server);
        var pushes = 0;
        broker.Respond = r => r.Command == "auth" ? FakeControlEndpoint.Ok()
            : ++pushes == 1 ? FakeControlEndpoint.Error("not authorised") // as from a restarted broker
            : FakeControlEndpoint.Result(3, 0);
        await using var trigger = await TriggerClient.ConnectAsync(
            broker.Endpoint, new TriggerOptions { ServerPublicKey = server.PublicKeyZ85, SecretKey = new NetMQCertificate().SecretKeyZ85 });

        var result = await trigger.PushAsync(PushTarget.All, 1, "x");

        Assert.That(result.Sessions, Is.EqualTo(3));
        var commands = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            commands.Add((await broker.NextRequestAsync()).Command);
        }

        Assert.That(commands, Is.EqualTo(new[] { "auth", "push", "auth", "push" }));
    }

    [Test]
    public void InvalidOptions_AreRejectedBeforeAnythingIsSent()
    {
        var keys = new NetMQCertificate();
        Assert.ThrowsAsync<ArgumentException>(() => TriggerClient.ConnectAsync("tcp://127.0.0.1:1", new TriggerOptions { ServerPublicKey = keys.PublicKeyZ85 }));
        Assert.ThrowsAsync<ArgumentException>(() => TriggerClient.ConnectAsync("tcp://127.0.0.1:1", new TriggerOptions { ServerPublicKey = "short", SecretKey = keys.SecretKeyZ85 }));
        Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => TriggerClient.ConnectAsync("tcp://127.0.0.1:1", new TriggerOptions { Timeout = TimeSpan.Zero }));
    }

    [Test]
    public async Task ATargetNamingNobody_OrABadGroupName_IsAnArgumentError()
    {
        using var broker = new FakeControlEndpoint();
        await using var trigger = await TriggerClient.ConnectAsync(broker.Endpoint);

        Assert.ThrowsAsync<ArgumentException>(() => trigger.PushAsync(PushTarget.Users([]), 1, "x"));
        Assert.ThrowsAsync<ArgumentException>(() => trigger.JoinGroupAsync(PushTarget.User("1"), ""));
        Assert.ThrowsAsync<ArgumentException>(() => trigger.SendToWorkerAsync("mmi.service", 1, "x"));
        Assert.That(broker.NoMoreRequests, Is.True);
    }

    internal static byte[] StatsMap() => MessagePackSerializer.Serialize(new Dictionary<string, object>
    {
        ["counters"] = new Dictionary<string, long> { ["replies"] = 4, ["bad_input.ControlMalformed"] = 1 },
        ["services"] = new Dictionary<string, object>
        {
            ["game"] = new Dictionary<string, object>
            {
                ["workers"] = 1,
                ["idle"] = 1,
                ["waiting"] = 0,
                ["worker_list"] = new object[]
                {
                    new Dictionary<string, object> { ["id"] = "00AB", ["version"] = "7.1.0", ["state"] = "idle", ["uptime_s"] = 12.5, ["served"] = 3 },
                },
            },
        },
        ["workers"] = 1,
        ["sessions"] = 120,
        ["users"] = 100,
        ["groups"] = 7,
    });

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
