using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using ZmqGame.Broker;
using ZmqGame.Protocol;
using ZmqGame.Tests.Support;
using ZmqGame.Transport;

namespace ZmqGame.Tests.Broker;

/// <summary>The broker's routing logic with a fake clock and recording worker and client channels: no sockets.</summary>
[TestFixture]
public sealed partial class DispatcherTests
{
    private static readonly byte[] Game = "game"u8.ToArray();
    private ManualTimeProvider _clock = null!;
    private RecordingOutput _out = null!;
    private RequestPool _pool = null!;
    private BrokerStats _stats = null!;
    private BrokerOptions _options = null!;
    private Dispatcher _dispatcher = null!;

    [SetUp]
    public void SetUp()
    {
        _clock = new ManualTimeProvider();
        _out = new RecordingOutput();
        _pool = new RequestPool();
        _stats = new BrokerStats();
        _options = new BrokerOptions
        {
            HeartbeatInterval = TimeSpan.FromSeconds(1),
            Liveness = 3,
            RequestTimeout = TimeSpan.FromSeconds(10),
            MaxQueuedPerService = 3,
        };
        Rebuild();
    }

    private void Rebuild()
    {
        var log = new BadInputLog(NullLogger.Instance, _stats, _clock, TimeSpan.FromSeconds(10));
        _dispatcher = new Dispatcher(_options, _out, _out, _pool, _stats, log, NullLogger.Instance, _clock);
    }

    [Test]
    public void Dispatch_IdleWorker_SendsRequestToIt()
    {
        _dispatcher.WorkerReady(Id("w1"), Game);
        _dispatcher.ClientRequest(Game, Request(1), 0);

        Assert.That(_out.Sent, Has.Count.EqualTo(1));
        Assert.That(_out.Sent[0].Worker, Is.EqualTo("w1"));
        Assert.That(_out.Sent[0].RequestId, Is.EqualTo(1UL));
        Assert.That(_dispatcher.IdleWorkersOf(Game), Is.Zero);
    }

    [Test]
    public void Dispatch_SeveralIdleWorkers_LeastRecentlyUsedFirst()
    {
        _dispatcher.WorkerReady(Id("a"), Game);
        _dispatcher.WorkerReady(Id("b"), Game);
        _dispatcher.WorkerReady(Id("c"), Game);

        _dispatcher.ClientRequest(Game, Request(1), 0);
        Reply("a", 1);
        _dispatcher.ClientRequest(Game, Request(2), 0);
        _dispatcher.ClientRequest(Game, Request(3), 0);
        _dispatcher.ClientRequest(Game, Request(4), 0);

        Assert.That(_out.Sent.Select(s => s.Worker), Is.EqualTo(new[] { "a", "b", "c", "a" }));
    }

    [Test]
    public void Dispatch_NoIdleWorker_QueuesUntilReady()
    {
        _dispatcher.ClientRequest(Game, Request(1), 0);
        _dispatcher.ClientRequest(Game, Request(2), 0);
        Assert.That(_out.Sent, Is.Empty);
        Assert.That(_dispatcher.WaitingOf(Game), Is.EqualTo(2));

        _dispatcher.WorkerReady(Id("w1"), Game);
        Assert.That(_out.Sent.Select(s => s.RequestId), Is.EqualTo(new[] { 1UL }), "a ready worker takes the oldest waiting request");

        Reply("w1", 1);
        Assert.That(_out.Sent.Select(s => s.RequestId), Is.EqualTo(new[] { 1UL, 2UL }), "its reply makes it pull the next one");
        Assert.That(_dispatcher.WaitingOf(Game), Is.Zero);
    }

    [Test]
    public void Dispatch_BusyWorker_GetsNothingUntilItReplies()
    {
        _dispatcher.WorkerReady(Id("w1"), Game);
        _dispatcher.ClientRequest(Game, Request(1), 0);
        _dispatcher.ClientRequest(Game, Request(2), 0);

        Assert.That(_out.Sent, Has.Count.EqualTo(1));
        Assert.That(_dispatcher.WaitingOf(Game), Is.EqualTo(1));
    }

    [Test]
    public void Queue_DeadlinePasses_AnswersTimeout()
    {
        _dispatcher.ClientRequest(Game, Request(7), 0);
        _clock.Advance(TimeSpan.FromSeconds(9.9));
        _dispatcher.Tick();
        Assert.That(_out.Statuses, Is.Empty);

        _clock.Advance(TimeSpan.FromSeconds(0.2));
        _dispatcher.Tick();
        Assert.That(_out.Statuses, Is.EqualTo(new[] { (7UL, Status.Timeout) }));
        Assert.That(_dispatcher.WaitingOf(Game), Is.Zero);
        Assert.That(_pool.Pooled, Is.EqualTo(1), "the request went back to the pool");
        Assert.That(_stats.TimedOut, Is.EqualTo(1));
    }

    [Test]
    public void Queue_DeadlinePassesWithNoWorkerRegistered_TimeoutSaysSo()
    {
        _dispatcher.ClientRequest("nosuch"u8.ToArray(), Request(7), 0);
        _clock.Advance(TimeSpan.FromSeconds(11));
        _dispatcher.Tick();

        Assert.That(_out.Statuses, Is.EqualTo(new[] { (7UL, Status.Timeout) }));
        Assert.That(_out.StatusTexts, Is.EqualTo(new[] { "no worker of service 'nosuch' is registered" }));
    }

    [Test]
    public void Queue_DeadlinePassesWithAWorkerRegisteredButBusy_TimeoutSaysNoneTookIt()
    {
        _dispatcher.WorkerReady(Id("w1"), Game);
        _dispatcher.ClientRequest(Game, Request(1), 0);
        _dispatcher.ClientRequest(Game, Request(2), 0);
        _clock.Advance(TimeSpan.FromSeconds(11));
        _dispatcher.Tick();

        Assert.That(_out.Statuses, Does.Contain((2UL, Status.Timeout)));
        Assert.That(_out.StatusTexts, Does.Contain("no worker of service game took the request before its deadline"));
    }

    [Test]
    public void Queue_LastWorkerLeavesBeforeTheDeadline_TimeoutSaysNoneIsRegistered()
    {
        _dispatcher.WorkerReady(Id("w1"), Game);
        _dispatcher.ClientRequest(Game, Request(1), 0);
        _dispatcher.ClientRequest(Game, Request(2), 0);
        _dispatcher.WorkerGone(Id("w1"), "test");
        _out.Statuses.Clear();
        _out.StatusTexts.Clear();
        _clock.Advance(TimeSpan.FromSeconds(11));
        _dispatcher.Tick();

        Assert.That(_out.Statuses.Select(s => s.Status), Is.All.EqualTo(Status.Timeout));
        Assert.That(_out.StatusTexts, Does.Contain("no worker of service 'game' is registered"));
    }

    [Test]
    public void Queue_ClientAsksShorterDeadline_ExpiresFirst()
    {
        _dispatcher.ClientRequest(Game, Request(1), 0);
        _dispatcher.ClientRequest(Game, Request(2), 500);
        _clock.Advance(TimeSpan.FromMilliseconds(600));
        _dispatcher.Tick();

        Assert.That(_out.Statuses, Is.EqualTo(new[] { (2UL, Status.Timeout) }));
        Assert.That(_dispatcher.WaitingOf(Game), Is.EqualTo(1));
    }

    [Test]
    public void Queue_ClientAsksLongerDeadline_BrokerLimitWins()
    {
        _dispatcher.ClientRequest(Game, Request(1), 60_000);
        _clock.Advance(TimeSpan.FromSeconds(11));
        _dispatcher.Tick();

        Assert.That(_out.Statuses, Is.EqualTo(new[] { (1UL, Status.Timeout) }));
    }

    [Test]
    public void Queue_ExpiredBeforeWorkerArrives_IsAnsweredNotDispatched()
    {
        _dispatcher.ClientRequest(Game, Request(1), 100);
        _dispatcher.ClientRequest(Game, Request(2), 0);
        _clock.Advance(TimeSpan.FromMilliseconds(200));

        _dispatcher.WorkerReady(Id("w1"), Game);

        Assert.That(_out.Statuses, Is.EqualTo(new[] { (1UL, Status.Timeout) }));
        Assert.That(_out.Sent.Select(s => s.RequestId), Is.EqualTo(new[] { 2UL }));
    }

    [Test]
    public void Queue_Full_AnswersBusy()
    {
        for (ulong i = 1; i <= 4; i++)
        {
            _dispatcher.ClientRequest(Game, Request(i), 0);
        }

        Assert.That(_out.Statuses, Is.EqualTo(new[] { (4UL, Status.Busy) }));
        Assert.That(_dispatcher.WaitingOf(Game), Is.EqualTo(3));
        Assert.That(_stats.Busy, Is.EqualTo(1));
    }

    [Test]
    public void Queue_IsPerService()
    {
        var chat = "chat"u8.ToArray();
        _dispatcher.WorkerReady(Id("chat-1"), chat);
        _dispatcher.ClientRequest(Game, Request(1), 0);

        Assert.That(_out.Sent, Is.Empty, "a chat worker never takes a game request");
        Assert.That(_dispatcher.WaitingOf(Game), Is.EqualTo(1));
    }

    [Test]
    public void WorkerGone_WhileHoldingRequest_AnswersWorkerLost()
    {
        _dispatcher.WorkerReady(Id("w1"), Game);
        _dispatcher.ClientRequest(Game, Request(5), 0);

        _dispatcher.WorkerGone(Id("w1"), "connection closed");

        Assert.That(_out.Statuses, Is.EqualTo(new[] { (5UL, Status.WorkerLost) }));
        Assert.That(_dispatcher.WorkersOf(Game), Is.Zero);
        Assert.That(_stats.WorkerLost, Is.EqualTo(1));
    }

    [Test]
    public void WorkerGone_WhileIdle_LeavesNoTrace()
    {
        _dispatcher.WorkerReady(Id("w1"), Game);
        _dispatcher.WorkerReady(Id("w2"), Game);
        _dispatcher.WorkerGone(Id("w1"), "connection closed");
        _dispatcher.ClientRequest(Game, Request(1), 0);

        Assert.That(_out.Sent.Select(s => s.Worker), Is.EqualTo(new[] { "w2" }));
        Assert.That(_out.Statuses, Is.Empty);
    }

    [Test]
    public void WorkerSilent_PastLiveness_IsRemovedAndItsRequestLost()
    {
        _dispatcher.WorkerReady(Id("w1"), Game);
        _dispatcher.ClientRequest(Game, Request(9), 0);

        _clock.Advance(TimeSpan.FromSeconds(2.9));
        _dispatcher.Tick();
        Assert.That(_dispatcher.WorkersOf(Game), Is.EqualTo(1), "still within 3 × 1 s");

        _clock.Advance(TimeSpan.FromSeconds(0.2));
        _dispatcher.Tick();
        Assert.That(_dispatcher.WorkersOf(Game), Is.Zero);
        Assert.That(_out.Statuses, Is.EqualTo(new[] { (9UL, Status.WorkerLost) }));
        Assert.That(_out.Commands, Does.Contain(("w1", Mdp.Disconnect)));
        Assert.That(_stats.WorkersExpired, Is.EqualTo(1));
    }

    [Test]
    public void WorkerHeartbeat_KeepsItAlive()
    {
        _dispatcher.WorkerReady(Id("w1"), Game);
        for (var i = 0; i < 10; i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            _dispatcher.WorkerHeartbeat(Id("w1"));
            _dispatcher.Tick();
        }

        Assert.That(_dispatcher.WorkersOf(Game), Is.EqualTo(1));
    }

    [Test]
    public void Heartbeat_SentToWorkerAfterInterval_OnlyWhenNothingElseWasSent()
    {
        _dispatcher.WorkerReady(Id("w1"), Game);
        _clock.Advance(TimeSpan.FromMilliseconds(900));
        _dispatcher.Tick();
        Assert.That(_out.Commands, Is.Empty);

        _clock.Advance(TimeSpan.FromMilliseconds(200));
        _dispatcher.Tick();
        Assert.That(_out.Commands, Is.EqualTo(new[] { ("w1", Mdp.Heartbeat) }));

        _dispatcher.ClientRequest(Game, Request(1), 0);
        _clock.Advance(TimeSpan.FromMilliseconds(900));
        _dispatcher.WorkerHeartbeat(Id("w1"));
        _dispatcher.Tick();
        Assert.That(_out.Commands, Has.Count.EqualTo(1), "a REQUEST counts as traffic: no heartbeat due yet");
    }

    [Test]
    public void Ready_FromKnownWorker_IsDisconnected()
    {
        _dispatcher.WorkerReady(Id("w1"), Game);
        _dispatcher.WorkerReady(Id("w1"), Game);

        Assert.That(_out.Commands, Is.EqualTo(new[] { ("w1", Mdp.Disconnect) }));
        Assert.That(_dispatcher.WorkersOf(Game), Is.Zero);
        Assert.That(_stats.BadInputCount(BadInput.BackendDuplicateReady), Is.EqualTo(1));
    }

    [Test]
    public void Ready_FromAZmqGameWorker_IsAnsweredWithAHeartbeatAtOnce_AStockWorkersIsNot()
    {
        _dispatcher.WorkerReady(Id("stock"), Game);
        _dispatcher.WorkerReady(Id("zmqgame"), Game, Info());

        Assert.That(_out.Commands, Is.EqualTo(new[] { ("zmqgame", Mdp.Heartbeat) }), "the ZmqGame worker hears the broker before a heartbeat interval");
        _clock.Advance(TimeSpan.FromMilliseconds(900));
        _dispatcher.Tick();
        Assert.That(_out.Commands, Has.Count.EqualTo(1), "the regular heartbeats keep their interval");
    }

    [TestCase("")]
    [TestCase("mmi.service")]
    public void Ready_WithInvalidService_IsDisconnected(string service)
    {
        _dispatcher.WorkerReady(Id("w1"), Encoding.UTF8.GetBytes(service));

        Assert.That(_out.Commands, Is.EqualTo(new[] { ("w1", Mdp.Disconnect) }));
        Assert.That(_dispatcher.WorkerCount, Is.Zero);
    }

    [Test]
    public void Reply_FromUnknownWorker_IsDisconnected()
    {
        Assert.That(_dispatcher.WorkerReply(Id("ghost"), Id("client-1"), new FrameBuffer(), 0), Is.False);
        Assert.That(_out.Commands, Is.EqualTo(new[] { ("ghost", Mdp.Disconnect) }));
    }

    [Test]
    public void Reply_ForAnotherClient_RemovesWorkerAndAnswersWorkerLost()
    {
        _dispatcher.WorkerReady(Id("w1"), Game);
        _dispatcher.ClientRequest(Game, Request(3, "client-3"), 0);

        Assert.That(_dispatcher.WorkerReply(Id("w1"), Id("someone-else"), new FrameBuffer(), 0), Is.False);

        Assert.That(_out.Statuses, Is.EqualTo(new[] { (3UL, Status.WorkerLost) }));
        Assert.That(_out.Commands, Is.EqualTo(new[] { ("w1", Mdp.Disconnect) }));
    }

    [Test]
    public void Reply_FromIdleWorker_IsAProtocolError()
    {
        _dispatcher.WorkerReady(Id("w1"), Game);

        Assert.That(_dispatcher.WorkerReply(Id("w1"), Id("client-1"), new FrameBuffer(), 0), Is.False);
        Assert.That(_dispatcher.WorkerCount, Is.Zero);
    }

    [Test]
    public void Heartbeat_FromUnknownWorker_IsToldToReconnect()
    {
        _dispatcher.WorkerHeartbeat(Id("stale"));
        Assert.That(_out.Commands, Is.EqualTo(new[] { ("stale", Mdp.Disconnect) }));
    }

    [Test]
    public void Dispatch_WorkerUnreachable_RequestGoesToNextWorker()
    {
        _dispatcher.WorkerReady(Id("gone"), Game);
        _dispatcher.WorkerReady(Id("w2"), Game);
        _out.Unreachable.Add("gone");

        _dispatcher.ClientRequest(Game, Request(1), 0);

        Assert.That(_out.Sent.Select(s => s.Worker), Is.EqualTo(new[] { "w2" }));
        Assert.That(_dispatcher.WorkersOf(Game), Is.EqualTo(1));
        Assert.That(_out.Statuses, Is.Empty);
    }

    [Test]
    public void Services_WithoutWorkersOrRequests_AreForgotten()
    {
        _dispatcher.WorkerReady(Id("w1"), Game);
        _dispatcher.WorkerGone(Id("w1"), "bye");
        _dispatcher.Tick();
        Assert.That(_dispatcher.ServiceCount, Is.Zero);
    }

    [Test]
    public void Services_OverLimit_AreRefused()
    {
        _options.MaxServices = 2;
        Rebuild();
        _dispatcher.ClientRequest("s1"u8, Request(1), 0);
        _dispatcher.ClientRequest("s2"u8, Request(2), 0);
        _dispatcher.ClientRequest("s3"u8, Request(3), 0);

        Assert.That(_out.Statuses, Is.EqualTo(new[] { (3UL, Status.BadRequest) }));
        Assert.That(_dispatcher.ServiceCount, Is.EqualTo(2));
    }

    [Test]
    public void IdleWaiter_CompletesWhenEnoughWorkersAreIdle()
    {
        var done = new TaskCompletionSource();
        _dispatcher.AddIdleWaiter("game", 2, done);
        _dispatcher.WorkerReady(Id("w1"), Game);
        Assert.That(done.Task.IsCompleted, Is.False);

        _dispatcher.WorkerReady(Id("w2"), Game);
        Assert.That(done.Task.IsCompleted, Is.True);
    }

    [Test]
    public void WorkerSaysDisconnect_HoldingARequest_ZmqGameWorker_RequestGoesToAnotherWorker()
    {
        ReadyZmqGame("leaving");
        _dispatcher.ClientRequest(Game, Request(1), 0);

        _dispatcher.WorkerGone(Id("leaving"), "worker sent DISCONNECT", said: true);
        Assert.That(_out.Statuses, Is.Empty, "the request crossed the DISCONNECT unrun: it is not failed");
        Assert.That(_dispatcher.WaitingOf(Game), Is.EqualTo(1));

        ReadyZmqGame("new");
        Assert.That(_out.Sent.Select(s => (s.Worker, s.RequestId)), Is.EqualTo(new[] { ("leaving", 1UL), ("new", 1UL) }));
        Assert.That(_stats.Redispatched, Is.EqualTo(1));
    }

    [Test]
    public void WorkerSaysDisconnect_HoldingARequest_StockWorker_AnswersWorkerLost()
    {
        _dispatcher.WorkerReady(Id("stock"), Game);
        _dispatcher.ClientRequest(Game, Request(1), 0);

        _dispatcher.WorkerGone(Id("stock"), "worker sent DISCONNECT", said: true);

        Assert.That(_out.Statuses, Is.EqualTo(new[] { (1UL, Status.WorkerLost) }), "a stock worker may have run it: no second run");
    }

    [Test]
    public void HandedBackRequest_IsServedBeforeNewerWaitingOnes()
    {
        ReadyZmqGame("leaving");
        _dispatcher.ClientRequest(Game, Request(1), 0);
        _dispatcher.ClientRequest(Game, Request(2), 0);

        _dispatcher.WorkerGone(Id("leaving"), "worker sent DISCONNECT", said: true);
        ReadyZmqGame("new");

        Assert.That(_out.Sent.Last().RequestId, Is.EqualTo(1UL));
    }

    [Test]
    public void WorkerLost_IdempotentCommand_RunsAgainOnce()
    {
        ReadyZmqGame("a", idempotent: 5);
        ReadyZmqGame("b", idempotent: 5);
        _dispatcher.ClientRequest(Game, Request(1, command: 5), 0);

        _dispatcher.WorkerGone(Id("a"), "connection closed");
        Assert.That(_out.Sent.Select(s => s.Worker), Is.EqualTo(new[] { "a", "b" }));
        Assert.That(_out.Statuses, Is.Empty);

        _dispatcher.WorkerGone(Id("b"), "connection closed");
        Assert.That(_out.Statuses, Is.EqualTo(new[] { (1UL, Status.WorkerLost) }), "only once");
    }

    [Test]
    public void WorkerLost_CommandNotDeclaredIdempotent_AnswersWorkerLost()
    {
        ReadyZmqGame("a", idempotent: 5);
        ReadyZmqGame("b", idempotent: 5);
        _dispatcher.ClientRequest(Game, Request(1, command: 6), 0);

        _dispatcher.WorkerGone(Id("a"), "connection closed");

        Assert.That(_out.Statuses, Is.EqualTo(new[] { (1UL, Status.WorkerLost) }));
        Assert.That(_out.Sent, Has.Count.EqualTo(1));
    }

    [Test]
    public void HandedBackRequest_PastItsDeadline_AnswersTimeout()
    {
        ReadyZmqGame("leaving");
        _dispatcher.ClientRequest(Game, Request(1), 100);
        _clock.Advance(TimeSpan.FromMilliseconds(200));

        _dispatcher.WorkerGone(Id("leaving"), "worker sent DISCONNECT", said: true);

        Assert.That(_out.Statuses, Is.EqualTo(new[] { (1UL, Status.Timeout) }));
    }

    [Test]
    public void DrainingWorker_FinishesItsRequest_ThenGetsNoOther()
    {
        ReadyZmqGame("a");
        _dispatcher.ClientRequest(Game, Request(1), 0);
        _dispatcher.WorkerDraining(Id("a"));
        _dispatcher.ClientRequest(Game, Request(2), 0);

        Reply("a", 1);
        Assert.That(_out.Sent.Select(s => s.RequestId), Is.EqualTo(new[] { 1UL }), "a draining worker pulls nothing more");
        Assert.That(_dispatcher.WaitingOf(Game), Is.EqualTo(1));

        _dispatcher.WorkerGone(Id("a"), "worker sent DISCONNECT", said: true);
        ReadyZmqGame("b");
        Assert.That(_out.Sent.Last(), Is.EqualTo(_out.Sent.Single(s => s.Worker == "b")));
        Assert.That(_out.Sent.Last().RequestId, Is.EqualTo(2UL));
        Assert.That(_out.Statuses, Is.Empty);
    }

    [Test]
    public void DrainingWorker_WhileIdle_LeavesTheIdleList()
    {
        ReadyZmqGame("a");
        _dispatcher.WorkerDraining(Id("a"));

        _dispatcher.ClientRequest(Game, Request(1), 0);

        Assert.That(_out.Sent, Is.Empty);
        Assert.That(_dispatcher.IdleWorkersOf(Game), Is.Zero);
    }

    [Test]
    public void DrainingWorker_HoldingNothing_IsRemovedAndToldDisconnectAtOnce()
    {
        ReadyZmqGame("a");
        ReadyZmqGame("b");

        _dispatcher.WorkerDraining(Id("a"));

        Assert.That(_out.Commands, Is.EqualTo(new[] { ("a", Mdp.Disconnect) }), "the DISCONNECT confirms the drain: nothing is on its way to it");
        Assert.That(_dispatcher.WorkersOf(Game), Is.EqualTo(1));
        Assert.That(_stats.WorkersDisconnected, Is.EqualTo(1), "a normal departure");
        Assert.That(_stats.WorkerLost, Is.Zero);

        _dispatcher.ClientRequest(Game, Request(1), 0);
        Assert.That(_out.Sent.Select(s => s.Worker), Is.EqualTo(new[] { "b" }));
    }

    [Test]
    public void DrainedWorker_HeartbeatThatCrossedTheConfirmation_IsNotBadInput_UntilItsLivenessHasPassed()
    {
        ReadyZmqGame("a");
        _dispatcher.WorkerDraining(Id("a"));
        Assert.That(_out.Commands, Is.EqualTo(new[] { ("a", Mdp.Disconnect) }));

        _dispatcher.WorkerHeartbeat(Id("a"));
        _dispatcher.WorkerDraining(Id("a"));

        Assert.That(_stats.BadInputCount(BadInput.BackendNotReady), Is.Zero, "its heartbeat crossed the DISCONNECT on the wire");
        Assert.That(_out.Commands, Has.Count.EqualTo(1), "the one DISCONNECT already sent is enough");

        _clock.Advance(TimeSpan.FromSeconds(3.1));
        _dispatcher.Tick();
        _dispatcher.WorkerHeartbeat(Id("a"));

        Assert.That(_stats.BadInputCount(BadInput.BackendNotReady), Is.EqualTo(1), "past its liveness it is a stranger again");
        Assert.That(_out.Commands, Has.Count.EqualTo(2));
    }

    [Test]
    public void DrainingWorker_Busy_ItsReplyIsForwardedThenItIsToldDisconnect()
    {
        ReadyZmqGame("a");
        _dispatcher.ClientRequest(Game, Request(1), 0);
        _dispatcher.WorkerDraining(Id("a"));
        _dispatcher.ClientRequest(Game, Request(2), 0);
        Assert.That(_out.Commands, Is.Empty, "it still holds request 1: no confirmation yet");

        Reply("a", 1);

        Assert.That(_out.Commands, Is.EqualTo(new[] { ("a", Mdp.Disconnect) }));
        Assert.That(_dispatcher.WorkersOf(Game), Is.Zero);
        Assert.That(_out.Sent.Select(s => s.RequestId), Is.EqualTo(new[] { 1UL }), "it pulled nothing more");
        Assert.That(_dispatcher.WaitingOf(Game), Is.EqualTo(1));
        Assert.That(_stats.WorkersDisconnected, Is.EqualTo(1));
        Assert.That(_out.Statuses, Is.Empty);

        _dispatcher.WorkerGone(Id("a"), "worker sent DISCONNECT", said: true);
        _dispatcher.WorkerGone(Id("a"), "connection closed");
        Assert.That(_stats.WorkersDisconnected, Is.EqualTo(1), "its socket closing afterwards is not a second departure");
    }

    [Test]
    public void RequestDispatchedBeforeDrainingArrived_IsNotDispatchedAgain_ThatWorkerAnswersIt()
    {
        ReadyZmqGame("a");
        ReadyZmqGame("b");
        _dispatcher.ClientRequest(Game, Request(1), 0); // to a (idle longest), crossing a's "draining" on the wire

        _dispatcher.WorkerDraining(Id("a"));

        Assert.That(_out.Sent.Select(s => (s.Worker, s.RequestId)), Is.EqualTo(new[] { ("a", 1UL) }));
        Assert.That(_out.Commands, Is.Empty, "a holds request 1: it is not confirmed before it replies");
        Assert.That(_stats.Redispatched, Is.Zero);
        Assert.That(_dispatcher.IdleWorkersOf(Game), Is.EqualTo(1), "b stays idle: the request is a's to run");

        Reply("a", 1);
        Assert.That(_out.Commands, Is.EqualTo(new[] { ("a", Mdp.Disconnect) }));
        Assert.That(_out.Statuses, Is.Empty);
        Assert.That(_stats.WorkerLost, Is.Zero);
    }

    [Test]
    public void HandedBackRequest_IsNeverDispatchedToADrainingWorker()
    {
        ReadyZmqGame("a");
        ReadyZmqGame("b");
        _dispatcher.ClientRequest(Game, Request(1), 0); // to a
        _dispatcher.ClientRequest(Game, Request(2), 0); // to b
        _dispatcher.WorkerDraining(Id("b"));

        _dispatcher.WorkerGone(Id("a"), "worker sent DISCONNECT", said: true);

        Assert.That(_out.Sent.Select(s => (s.Worker, s.RequestId)), Is.EqualTo(new[] { ("a", 1UL), ("b", 2UL) }), "b is draining: it takes nothing more");
        Assert.That(_dispatcher.WaitingOf(Game), Is.EqualTo(1));
        Reply("b", 2);
        Assert.That(_out.Sent, Has.Count.EqualTo(2), "not even once b is done");

        ReadyZmqGame("c");
        Assert.That(_out.Sent.Last(), Is.EqualTo(("c", 1UL, _out.Sent[0].Client)));
        Assert.That(_out.Statuses, Is.Empty);
    }

    [Test]
    public void DrainingWorker_GoesSilent_IsLost_AndItsRequestAnsweredWorkerLost()
    {
        ReadyZmqGame("a");
        _dispatcher.ClientRequest(Game, Request(1), 0);
        _dispatcher.WorkerDraining(Id("a"));

        _clock.Advance(TimeSpan.FromSeconds(3.1));
        _dispatcher.Tick();

        Assert.That(_out.Statuses, Is.EqualTo(new[] { (1UL, Status.WorkerLost) }), "it may have run it: no second run");
        Assert.That(_stats.WorkersExpired, Is.EqualTo(1));
        Assert.That(_stats.WorkersDisconnected, Is.Zero);
        Assert.That(_dispatcher.WorkersOf(Game), Is.Zero);
    }

    private static WorkerInfo Info(params int[] idempotent) => new("1.0.0-test", idempotent);

    /// <summary>
    /// A ZmqGame worker's READY for <c>game</c>. The HEARTBEAT that answers it at once is checked here and taken out of
    /// the recorded commands, so that each test sees only what follows.
    /// </summary>
    private void ReadyZmqGame(string worker, params int[] idempotent)
    {
        var before = _out.Commands.Count;
        _dispatcher.WorkerReady(Id(worker), Game, Info(idempotent));
        Assert.That(_out.Commands.Skip(before), Is.EqualTo(new[] { (worker, Mdp.Heartbeat) }), "a ZmqGame worker's READY is answered with a HEARTBEAT at once");
        _out.Commands.RemoveAt(before);
    }

    private void Reply(string worker, ulong requestId)
    {
        var client = _out.Sent.Last(s => s.Worker == worker && s.RequestId == requestId).Client;
        Assert.That(_dispatcher.WorkerReply(Id(worker), client, new FrameBuffer(), 0), Is.True);
        Assert.That(_out.Forwarded.Last(), Is.EqualTo((worker, requestId)), "the reply went to the request's client");
    }

    private static byte[] Id(string name) => Encoding.UTF8.GetBytes(name);

    private static PendingRequest Request(ulong id, string client = "client", int command = 1)
    {
        var request = new PendingRequest { Kind = ClientKind.ZmqGame, RequestId = id, Command = command };
        request.SetClientId(Encoding.UTF8.GetBytes(client + "-" + id));
        return request;
    }

    private sealed class RecordingOutput : IWorkerChannel, IClientChannel
    {
        public List<(string Worker, ulong RequestId, byte[] Client)> Sent { get; } = [];

        public List<(ulong RequestId, Status Status)> Statuses { get; } = [];

        public List<string> StatusTexts { get; } = [];

        public List<(string Worker, byte Command)> Commands { get; } = [];

        public HashSet<string> Unreachable { get; } = [];

        public List<(string Worker, ulong RequestId)> Forwarded { get; } = [];

        public bool SendRequest(global::ZmqGame.Broker.Worker worker, PendingRequest request)
        {
            var name = Encoding.UTF8.GetString(worker.Identity);
            if (Unreachable.Contains(name))
            {
                return false;
            }

            Sent.Add((name, request.RequestId, request.ClientId.ToArray()));
            return true;
        }

        public void SendStatus(PendingRequest request, Status status, string message)
        {
            Statuses.Add((request.RequestId, status));
            StatusTexts.Add(message);
        }

        public void SendCommand(ReadOnlySpan<byte> workerIdentity, byte command) =>
            Commands.Add((Encoding.UTF8.GetString(workerIdentity), command));

        public void ForwardReply(global::ZmqGame.Broker.Worker worker, PendingRequest request, FrameBuffer reply, int bodyAt) =>
            Forwarded.Add((Encoding.UTF8.GetString(worker.Identity), request.RequestId));
    }
}
