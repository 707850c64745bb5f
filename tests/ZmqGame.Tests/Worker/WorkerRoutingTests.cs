using System.Collections.Concurrent;
using MessagePack;
using ZmqGame.Protocol;
using ZmqGame.Worker;
using static ZmqGame.Tests.Support.Raw;

namespace ZmqGame.Tests.WorkerTests;

[MessagePackObject(keyAsPropertyName: true)]
public sealed record Num(int Value);

/// <summary>Routing, hooks and error replies of one slot, seen frame by frame from a fake broker.</summary>
[TestFixture]
public sealed class WorkerRoutingTests : OneSlotWorkerFixture
{
    private const int Double = 10;
    private const int Boom = 11;
    private const int AsyncTask = 12;
    private const int AsyncValueTask = 13;
    private const int Secret = 14;

    private static void MapNumbers(RouteGroup group)
    {
        group.Map<Num, Num>(Double, (n, _) => new Num(n.Value * 2));
        group.Map<Num, Num>(Boom, (n, _) => throw new InvalidOperationException("boom " + n.Value));
        group.Map<Num, Num>(AsyncTask, async (n, _) =>
        {
            await Task.Yield();
            return new Num(n.Value + 1);
        });
        group.Map<Num, Num>(AsyncValueTask, (n, _) => ValueTask.FromResult(new Num(n.Value + 2)));
    }

    [Test]
    public async Task Ready_DeclaresVersionAndIdempotentRoutes()
    {
        await using var app = WorkerApp.Create(TestOptions.For(Broker.Endpoint, slots: 1));
        app.Options.Version = "9.9.9-test";
        var game = app.MapService("game");
        game.Map<Num, Num>(1, (n, _) => n);
        var pure = game.MapGroup(idempotent: true);
        pure.Map<Num, Num>(7, (n, _) => n);
        pure.MapGroup().Map<Num, Num>(8, (n, _) => n);
        await app.StartAsync();

        var ready = Broker.Expect(Mdp.Ready);

        Assert.That(WorkerInfo.TryParse(ready.Rest[1], out var info), Is.True);
        Assert.That(info.Version, Is.EqualTo("9.9.9-test"));
        Assert.That(info.Idempotent, Is.EquivalentTo(new[] { 7, 8 }), "nested groups inherit idempotency");
    }

    private async Task<byte[]> StartAndReadyAsync()
    {
        await App.StartAsync();
        var ready = Broker.Expect(Mdp.Ready);
        Assert.That(ready.Rest, Has.Count.EqualTo(2), "READY [service][worker info]");
        Assert.That(S(ready.Rest[0]), Is.EqualTo("game"), "READY names the service");
        Assert.That(WorkerInfo.TryParse(ready.Rest[1], out _), Is.True, "then says what it is");
        return ready.Identity;
    }

    private (ReplyHeader Header, byte[] Payload) Call(byte[] slot, ulong id, int command, byte[][] body)
    {
        Broker.SendRequest(slot, "client-" + id, body);
        var reply = Broker.Expect(Mdp.Reply);
        Assert.That(reply.Identity, Is.EqualTo(slot));
        Assert.That(WorkerReply.Client(reply), Is.EqualTo("client-" + id), "client address returned unchanged");
        var zg = WorkerReply.Zg(reply);
        Assert.That(zg.Header.RequestId, Is.EqualTo(id), "request id copied from the request");
        return zg;
    }

    [Test]
    public async Task TypedRoute_RoundTrip_RepliesOkWithResult()
    {
        MapNumbers(App.MapService("game"));
        var slot = await StartAndReadyAsync();

        var (header, payload) = Call(slot, 7, Double, FakeBroker.ZgBody(7, Double, new Num(21)));

        Assert.That(header.Status, Is.EqualTo(Status.Ok));
        Assert.That(Payload.Deserialize<Num>(payload), Is.EqualTo(new Num(42)));
    }

    [Test]
    public async Task AsyncRoutes_TaskAndValueTask_ReplyOk()
    {
        MapNumbers(App.MapService("game"));
        var slot = await StartAndReadyAsync();

        var task = Call(slot, 1, AsyncTask, FakeBroker.ZgBody(1, AsyncTask, new Num(1)));
        var valueTask = Call(slot, 2, AsyncValueTask, FakeBroker.ZgBody(2, AsyncValueTask, new Num(1)));

        Assert.That(task.Header.Status, Is.EqualTo(Status.Ok));
        Assert.That(Payload.Deserialize<Num>(task.Payload).Value, Is.EqualTo(2));
        Assert.That(valueTask.Header.Status, Is.EqualTo(Status.Ok));
        Assert.That(Payload.Deserialize<Num>(valueTask.Payload).Value, Is.EqualTo(3));
    }

    [Test]
    public async Task UnknownCommand_RepliesNoSuchRoute()
    {
        MapNumbers(App.MapService("game"));
        var slot = await StartAndReadyAsync();

        var (header, payload) = Call(slot, 3, 999, FakeBroker.ZgBody(3, 999, new Num(1)));

        Assert.That(header.Status, Is.EqualTo(Status.NoSuchRoute));
        Assert.That(S(payload), Does.Contain("999"));
    }

    [Test]
    public async Task Handler_Throws_RepliesHandlerFailedAndKeepsServing()
    {
        MapNumbers(App.MapService("game"));
        var slot = await StartAndReadyAsync();

        var failed = Call(slot, 1, Boom, FakeBroker.ZgBody(1, Boom, new Num(1)));
        var next = Call(slot, 2, Double, FakeBroker.ZgBody(2, Double, new Num(5)));

        Assert.That(failed.Header.Status, Is.EqualTo(Status.HandlerFailed));
        Assert.That(S(failed.Payload), Does.StartWith("handler failed"));
        Assert.That(next.Header.Status, Is.EqualTo(Status.Ok));
        Assert.That(Payload.Deserialize<Num>(next.Payload).Value, Is.EqualTo(10));
        Assert.That(App.Counters.HandlerFailures, Is.EqualTo(1));
    }

    [Test]
    public async Task GarbagePayload_RepliesBadRequest()
    {
        MapNumbers(App.MapService("game"));
        var slot = await StartAndReadyAsync();

        var garbage = Call(slot, 1, Double, [new RequestHeader(1, Double, 0).ToArray(), FakeBroker.NoSession, [0xC1, 0xFF, 0x00]]);
        var missing = Call(slot, 2, Double, [new RequestHeader(2, Double, 0).ToArray(), FakeBroker.NoSession]);
        var wrongType = Call(slot, 3, Double, [new RequestHeader(3, Double, 0).ToArray(), FakeBroker.NoSession, Payload.Serialize("a string")]);

        Assert.That(garbage.Header.Status, Is.EqualTo(Status.BadRequest));
        Assert.That(missing.Header.Status, Is.EqualTo(Status.BadRequest));
        Assert.That(wrongType.Header.Status, Is.EqualTo(Status.BadRequest));
        Assert.That(S(garbage.Payload), Does.StartWith("bad request"));
    }

    [Test]
    public async Task StockMdpRequest_GoesToRawRoute()
    {
        var game = App.MapService("game");
        MapNumbers(game);
        RequestContext? seen = null;
        game.MapRaw((frames, ctx) =>
        {
            seen = ctx;
            return [.. frames.Reverse(), B("raw")];
        });
        var slot = await StartAndReadyAsync();

        Broker.SendRequest(slot, "mdp-client", B("a"), B("b"));
        var reply = Broker.Expect(Mdp.Reply);

        Assert.That(WorkerReply.Client(reply), Is.EqualTo("mdp-client"));
        Assert.That(WorkerReply.Body(reply).Select(S), Is.EqualTo(new[] { "b", "a", "raw" }));
        Assert.That(seen!.IsRaw, Is.True);
        Assert.That(seen.Service, Is.EqualTo("game"));
    }

    [Test]
    public async Task StockMdpRequest_WithoutRawRoute_RepliesErrorFrame()
    {
        MapNumbers(App.MapService("game"));
        var slot = await StartAndReadyAsync();

        // 20 bytes but not a request header: still a stock MDP body.
        Broker.SendRequest(slot, "mdp-client", new byte[20]);
        var reply = Broker.Expect(Mdp.Reply);

        Assert.That(WorkerReply.Body(reply).Select(S), Is.EqualTo(new[] { "error: no raw route" }));
    }

    [Test]
    public async Task Hooks_RunInOrder_AndErrorHookSeesException()
    {
        var log = new ConcurrentQueue<string>();
        Exception? seenByAppErrorHook = null;
        App.OnBeforeRequest(ctx => log.Enqueue("app-before"))
            .OnAfterRequest(ctx => log.Enqueue($"app-after:{ctx.Status}"))
            .OnError((ctx, ex) => seenByAppErrorHook = ex);
        var game = App.MapService("game")
            .OnBeforeRequest(async ctx =>
            {
                await Task.Yield();
                log.Enqueue("service-before");
            })
            .OnAfterRequest(ctx => log.Enqueue("service-after"));
        var admin = game.MapGroup()
            .OnBeforeRequest(ctx => log.Enqueue("group-before"))
            .OnAfterRequest(ctx => log.Enqueue("group-after"))
            .OnError((ctx, ex) => log.Enqueue("group-error:" + ex.Message));
        admin.Map<Num, Num>(Double, (n, ctx) =>
        {
            log.Enqueue("handler");
            return new Num(n.Value * 2);
        });
        admin.Map<Num, Num>(Boom, (n, _) => throw new InvalidOperationException("boom " + n.Value));
        var slot = await StartAndReadyAsync();

        Call(slot, 1, Double, FakeBroker.ZgBody(1, Double, new Num(1)));
        Assert.That(log, Is.EqualTo(new[]
        {
            "app-before", "service-before", "group-before", "handler", "group-after", "service-after", "app-after:Ok",
        }));

        log.Clear();
        var failed = Call(slot, 2, Boom, FakeBroker.ZgBody(2, Boom, new Num(3)));
        Assert.That(failed.Header.Status, Is.EqualTo(Status.HandlerFailed));
        Assert.That(log, Is.EqualTo(new[]
        {
            "app-before", "service-before", "group-before", "group-error:boom 3", "group-after", "service-after", "app-after:HandlerFailed",
        }));
        Assert.That(seenByAppErrorHook, Is.TypeOf<InvalidOperationException>().With.Message.EqualTo("boom 3"));
    }

    [Test]
    public async Task BeforeHook_Rejects_RepliesItsStatusWithoutRunningHandler()
    {
        var ran = false;
        App.MapService("game")
            .OnBeforeRequest(ctx => throw new RequestRejectedException(Status.NotAuthorised, "log in first"))
            .Map<Num, Num>(Secret, (n, _) =>
            {
                ran = true;
                return n;
            });
        var slot = await StartAndReadyAsync();

        var (header, payload) = Call(slot, 1, Secret, FakeBroker.ZgBody(1, Secret, new Num(1)));

        Assert.That(header.Status, Is.EqualTo(Status.NotAuthorised));
        Assert.That(S(payload), Is.EqualTo("log in first"));
        Assert.That(ran, Is.False);
    }

    [Test]
    public void Map_DuplicateRoute_ThrowsNamingServiceAndCommand()
    {
        var game = App.MapService("game");
        game.Map<Num, Num>(Double, (n, _) => n);

        var ex = Assert.Throws<InvalidOperationException>(() => game.MapGroup().Map<Num, Num>(Double, (n, _) => n));
        Assert.That(ex!.Message, Does.Contain("'game'").And.Contain("command 10"));
        Assert.That(() => App.MapService("game").MapRaw((f, _) => f).MapRaw((f, _) => f),
            Throws.InvalidOperationException.With.Message.Contain("raw route"));
    }

    [Test]
    public async Task Start_FreezesRoutes_AndRequiresAService()
    {
        Assert.That(() => App.StartAsync(), Throws.InvalidOperationException.With.Message.Contain("No service"));

        await using var app = WorkerApp.Create(TestOptions.For(Broker.Endpoint, slots: 1));
        var game = app.MapService("game");
        game.Map<Num, Num>(Double, (n, _) => n);
        await app.StartAsync();
        Assert.That(() => game.Map<Num, Num>(Boom, (n, _) => n), Throws.InvalidOperationException);
        Assert.That(() => app.MapService("chat"), Throws.InvalidOperationException);
    }

    [TestCase("")]
    [TestCase("mmi.service")]
    public void MapService_RejectsBadNames(string name)
    {
        Assert.That(() => App.MapService(name), Throws.InstanceOf<ArgumentException>());
    }
}
