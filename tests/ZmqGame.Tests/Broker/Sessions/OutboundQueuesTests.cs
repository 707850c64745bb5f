using ZmqGame.Broker;
using ZmqGame.Broker.Sessions;
using ZmqGame.Protocol;

namespace ZmqGame.Tests.Broker.Sessions;

/// <summary>The per-session outbound queues with a recording transport: no sockets.</summary>
[TestFixture]
public sealed class OutboundQueuesTests
{
    private RecordingSessionOutput _out = null!;
    private BrokerStats _stats = null!;
    private OutboundQueues _queues = null!;

    [SetUp]
    public void SetUp()
    {
        _out = new RecordingSessionOutput();
        _stats = new BrokerStats();
        _queues = new OutboundQueues(_out, _stats, queueLimit: 2);
    }

    [Test]
    public void Deliver_ConnectionTakesIt_SentAtOnce_NothingQueued()
    {
        var session = Attached(1);

        Assert.That(_queues.Deliver(session, Message(1)), Is.True);

        Assert.That(_out.Sent, Has.Count.EqualTo(1));
        Assert.That(session.Outbound, Is.Null);
        Assert.That(_queues.Backlogged, Is.Zero);
    }

    [Test]
    public void Deliver_ConnectionFull_QueuesInOrder_AndFlushSendsOldestFirst()
    {
        var session = Attached(1);
        _out.Accepting = false;
        _queues.Deliver(session, Message(1));
        _queues.Deliver(session, Message(2));
        Assert.That(_queues.Backlogged, Is.EqualTo(1));

        _out.Accepting = true;
        _queues.Flush(session);

        Assert.That(_out.Sent.Select(s => s.Message.Command), Is.EqualTo(new byte[] { 1, 2 }));
        Assert.That(session.Outbound, Is.Null, "an emptied queue is released");
        Assert.That(_queues.Backlogged, Is.Zero);
    }

    [Test]
    public void Deliver_WhileSomethingWaits_QueuesBehindIt_EvenWhenTheConnectionWouldTakeIt()
    {
        var session = Attached(1);
        _out.Accepting = false;
        _queues.Deliver(session, Message(1));
        _out.Accepting = true;

        Assert.That(_queues.Deliver(session, Message(2)), Is.True);

        Assert.That(_out.Sent, Is.Empty, "order per session is kept");
        Assert.That(session.OutboundCount, Is.EqualTo(2));
    }

    [Test]
    public void Deliver_QueueAtItsLimit_DropsAndCounts()
    {
        var session = Attached(1);
        _out.Accepting = false;
        _queues.Deliver(session, Message(1));
        _queues.Deliver(session, Message(2));

        Assert.That(_queues.Deliver(session, Message(3)), Is.False);

        Assert.That(_stats.PushDroppedQueueFull, Is.EqualTo(1));
        Assert.That(session.OutboundCount, Is.EqualTo(2));
    }

    [Test]
    public void Deliver_DetachedSession_Queues_AndFlushWaitsForAConnection()
    {
        var session = new Session(1, []);

        Assert.That(_queues.Deliver(session, Message(1)), Is.True);
        _queues.Flush(session);

        Assert.That(_out.Sent, Is.Empty);
        Assert.That(session.OutboundCount, Is.EqualTo(1));
        Assert.That(_queues.Backlogged, Is.EqualTo(1));
    }

    [Test]
    public void DeliverFirst_SendsAheadOfWhatWaits()
    {
        var session = Attached(1);
        _out.Accepting = false;
        _queues.Deliver(session, Message(1));
        _out.Accepting = true;

        _queues.DeliverFirst(session, Message(9));
        _queues.Flush(session);

        Assert.That(_out.Sent.Select(s => s.Message.Command), Is.EqualTo(new byte[] { 9, 1 }));
    }

    [Test]
    public void FlushBacklogged_RetriesEverySessionWithMessagesWaiting()
    {
        var a = Attached(1);
        var b = Attached(2);
        _out.Accepting = false;
        _queues.Deliver(a, Message(1));
        _queues.Deliver(b, Message(2));

        _out.Accepting = true;
        _queues.FlushBacklogged();

        Assert.That(_out.Sent.Select(s => s.Message.Command), Is.EquivalentTo(new byte[] { 1, 2 }));
        Assert.That(_queues.Backlogged, Is.Zero);
    }

    [Test]
    public void Discard_DropsWhatWaits_AndCountsIt()
    {
        var session = Attached(1);
        _out.Accepting = false;
        _queues.Deliver(session, Message(1));
        _queues.Deliver(session, Message(2));

        _queues.Discard(session);

        Assert.That(_stats.PushDroppedSessionEnded, Is.EqualTo(2));
        Assert.That(session.Outbound, Is.Null);
        Assert.That(_queues.Backlogged, Is.Zero);
    }

    private static Session Attached(ulong id) => new(id, []) { Identity = [(byte)id] };

    private static OutboundMessage Message(byte command) => new(command, [[command]]);
}
