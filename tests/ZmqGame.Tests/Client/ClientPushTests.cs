using ZmqGame.Client;
using ZmqGame.Protocol;
using ZmqGame.Tests.Support;
using static ZmqGame.Tests.Client.ClientTestSupport;

namespace ZmqGame.Tests.Client;

/// <summary>Server pushes (ZGC01 PUSH) reaching PushesAsync and OnPush subscribers, against the fake broker.</summary>
[TestFixture]
[CancelAfter(30_000)]
public sealed class ClientPushTests : FakeBrokerFixture
{
    private protected override FakeBroker CreateBroker() => new FakeBroker { Responder = FakeBroker.Echo };

    private async Task<(ZmqGameClient Client, byte[] Identity)> ConnectWithIdentityAsync(ZmqGameClientOptions? options = null)
    {
        var client = await ConnectAsync(Broker, options);
        return (client, (await Broker.NextHelloAsync()).Identity);
    }

    private static async Task<List<ServerPush>> TakeAsync(IAsyncEnumerator<ServerPush> pushes, int count)
    {
        var taken = new List<ServerPush>();
        while (taken.Count < count && await pushes.MoveNextAsync().AsTask().Within())
        {
            taken.Add(pushes.Current);
        }

        return taken;
    }

    [Test]
    public async Task Pushes_TwoSubscribers_EachGetsEveryPushInOrder()
    {
        var (client, identity) = await ConnectWithIdentityAsync();
        await using var _ = client;
        await using var first = client.PushesAsync().GetAsyncEnumerator();
        await using var second = client.PushesAsync().GetAsyncEnumerator();

        for (var i = 0; i < 5; i++)
        {
            Broker.Send(FakeBroker.PushMessage(identity, 10 + i, Pack(new Move("ann", i, -i))));
        }

        foreach (var subscriber in new[] { first, second })
        {
            var pushes = await TakeAsync(subscriber, 5);
            Assert.That(pushes.Select(p => p.Command), Is.EqualTo(new[] { 10, 11, 12, 13, 14 }));
            Assert.That(pushes.Select(p => p.Read<Move>().X), Is.EqualTo(new[] { 0, 1, 2, 3, 4 }));
        }

        Assert.That(client.DroppedPushes, Is.Zero);
    }

    [Test]
    public async Task Pushes_AwaitForeach_EndsWhenClientDisposed()
    {
        var (client, identity) = await ConnectWithIdentityAsync();
        var seen = new List<int>();
        var stream = client.PushesAsync();
        var reader = Task.Run(async () =>
        {
            await foreach (var push in stream)
            {
                seen.Add(push.Command);
            }
        });

        Broker.Send(FakeBroker.PushMessage(identity, 1, [0xC0]));
        await Eventually.True(() => client.Core.PushesReceived == 1, "the push arrived");
        await client.DisposeAsync();

        await reader.Within();
        Assert.That(seen, Is.EqualTo(new[] { 1 }));
    }

    [Test]
    public async Task Pushes_Cancelled_EnumerationThrowsOperationCanceled()
    {
        var (client, _) = await ConnectWithIdentityAsync();
        await using var _1 = client;
        using var cts = new CancellationTokenSource();
        var reader = Task.Run(async () =>
        {
            await foreach (var push in client.PushesAsync(cts.Token))
            {
            }
        });

        await cts.CancelAsync();

        Assert.That(async () => await reader.Within(), Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task Push_WithoutPayloadFrame_HasEmptyPayload()
    {
        var (client, identity) = await ConnectWithIdentityAsync();
        await using var _ = client;
        await using var pushes = client.PushesAsync().GetAsyncEnumerator();

        Broker.Send(FakeBroker.Zgc(identity, ZgClient.Push, new PushHeader(3).ToArray()));

        var push = (await TakeAsync(pushes, 1)).Single();
        Assert.That(push.Command, Is.EqualTo(3));
        Assert.That(push.Payload.IsEmpty, Is.True);
    }

    [Test]
    public async Task OnPush_ByCommand_HandlerGetsOnlyItsCommandTypedAndInOrder()
    {
        var (client, identity) = await ConnectWithIdentityAsync();
        await using var _ = client;
        var moves = new List<Move>();
        var asyncMoves = new List<Move>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var sync = client.OnPush<Move>(5, m => moves.Add(m));
        using var async = client.OnPush<Move>(5, async m =>
        {
            await Task.Yield();
            asyncMoves.Add(m);
            if (asyncMoves.Count == 3)
            {
                done.SetResult();
            }
        });

        Broker.Send(FakeBroker.PushMessage(identity, 5, Pack(new Move("a", 1, 0))));
        Broker.Send(FakeBroker.PushMessage(identity, 6, Pack(new MoveResult(true, "other command"))));
        Broker.Send(FakeBroker.PushMessage(identity, 5, Pack(new Move("b", 2, 0))));
        Broker.Send(FakeBroker.PushMessage(identity, 5, Pack(new Move("c", 3, 0))));

        await done.Task.Within();
        await Eventually.True(() => moves.Count == 3, "the synchronous handler saw three moves");
        Assert.That(moves.Select(m => m.Player), Is.EqualTo(new[] { "a", "b", "c" }));
        Assert.That(asyncMoves.Select(m => m.Player), Is.EqualTo(new[] { "a", "b", "c" }));
    }

    [Test]
    public async Task OnPush_HandlerThrowsOrPayloadUnreadable_LoggedCountedAndSubscriptionGoesOn()
    {
        var (client, identity) = await ConnectWithIdentityAsync();
        await using var _ = client;
        var seen = new List<string>();
        var third = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var handler = client.OnPush<Move>(5, m =>
        {
            seen.Add(m.Player);
            if (m.Player == "boom")
            {
                throw new InvalidOperationException("handler bug");
            }

            if (m.Player == "after")
            {
                third.SetResult();
            }
        });

        Broker.Send(FakeBroker.PushMessage(identity, 5, Pack(new Move("boom", 0, 0))));
        Broker.Send(FakeBroker.PushMessage(identity, 5, "not msgpack"u8.ToArray()));
        Broker.Send(FakeBroker.PushMessage(identity, 5, Pack("a string, not a Move")));
        Broker.Send(FakeBroker.PushMessage(identity, 5, Pack(new Move("after", 0, 0))));

        await third.Task.Within();
        Assert.That(seen, Is.EqualTo(new[] { "boom", "after" }));
        Assert.That(client.Core.UnreadablePushes, Is.EqualTo(2));
    }

    [Test]
    public async Task OnPush_Disposed_HandlerNoLongerCalled()
    {
        var (client, identity) = await ConnectWithIdentityAsync();
        await using var _ = client;
        var count = 0;
        var registration = client.OnPush<Move>(5, _ => Interlocked.Increment(ref count));
        await using var probe = client.PushesAsync().GetAsyncEnumerator();

        registration.Dispose();
        Broker.Send(FakeBroker.PushMessage(identity, 5, Pack(new Move("a", 1, 0))));

        await TakeAsync(probe, 1); // the push arrived and was fanned out
        Assert.That(Volatile.Read(ref count), Is.Zero);
    }

    [Test]
    public async Task Pushes_SlowConsumer_RequestStillAnsweredAndOldestDroppedAndCounted()
    {
        var options = new ZmqGameClientOptions { PushBufferSize = 4 };
        var (client, identity) = await ConnectWithIdentityAsync(options);
        await using var _ = client;
        await using var idle = client.PushesAsync().GetAsyncEnumerator(); // subscribed, never read until the end
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var blocked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stuck = client.OnPush<Move>(5, async _ =>
        {
            entered.TrySetResult();
            await blocked.Task; // a handler that does not return
        });

        Broker.Send(FakeBroker.PushMessage(identity, 5, Pack(new Move("p", 0, 0))));
        await entered.Task.Within();
        for (var i = 1; i < 10; i++)
        {
            Broker.Send(FakeBroker.PushMessage(identity, 5, Pack(new Move("p", i, 0))));
        }

        // The reply comes after the ten pushes on the same connection: they have all been handled by then.
        Assert.That(await client.RequestRawAsync("game", 1, new byte[] { 0x2A }).Within(), Is.EqualTo(new byte[] { 0x2A }));
        Assert.That(client.Core.PushesReceived, Is.EqualTo(10));
        Assert.That(client.DroppedPushes, Is.EqualTo(6 + 5), "idle stream: 10 - 4 dropped; the stuck handler holds the first, buffers 4 of the other 9");

        var kept = await TakeAsync(idle, 4);
        Assert.That(kept.Select(p => p.Read<Move>().X), Is.EqualTo(new[] { 6, 7, 8, 9 }), "the newest four are kept");
        blocked.SetResult();
    }

    [Test]
    public async Task Push_BadHeader_DroppedAndCountedWithoutHarm()
    {
        var (client, identity) = await ConnectWithIdentityAsync();
        await using var _ = client;
        await using var pushes = client.PushesAsync().GetAsyncEnumerator();

        Broker.Send(FakeBroker.Zgc(identity, ZgClient.Push));                                          // no header
        Broker.Send(FakeBroker.Zgc(identity, ZgClient.Push, [(byte)'Z', (byte)'G', 1, 5, 0, 0, 1]));   // 7 bytes
        Broker.Send(FakeBroker.Zgc(identity, ZgClient.Push, [(byte)'Z', (byte)'G', 1, 2, 0, 0, 0, 1], [0xC0])); // reply kind
        Broker.Send(FakeBroker.Zgc(identity, ZgClient.Push, [(byte)'X', (byte)'G', 1, 5, 0, 0, 0, 1], [0xC0])); // bad magic
        Broker.Send(FakeBroker.PushMessage(identity, 9, [0xC0]));

        var push = (await TakeAsync(pushes, 1)).Single();
        Assert.That(push.Command, Is.EqualTo(9), "only the well-formed push is delivered");
        Assert.That(client.Core.MalformedMessages, Is.EqualTo(4));
        Assert.That(await client.RequestRawAsync("game", 1, new byte[] { 0x01 }).Within(), Is.EqualTo(new byte[] { 0x01 }));
    }

    [Test]
    public async Task Pushes_AfterDispose_Throws()
    {
        var client = await ConnectAsync(Broker);
        await client.DisposeAsync();
        Assert.That(() => client.PushesAsync(), Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(() => client.OnPush<Move>(1, _ => { }), Throws.InstanceOf<ObjectDisposedException>());
    }
}
