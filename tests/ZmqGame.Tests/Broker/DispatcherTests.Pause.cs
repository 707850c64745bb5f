using ZmqGame.Protocol;

namespace ZmqGame.Tests.Broker;

/// <summary>Paused workers (a slot attached to several brokers runs another broker's request): not idle, still registered.</summary>
public sealed partial class DispatcherTests
{
    [Test]
    public void PausedWorker_Idle_LeavesTheIdleList_AndGetsNothing()
    {
        ReadyZmqGame("a");
        ReadyZmqGame("b");

        _dispatcher.WorkerPaused(Id("a"));
        Assert.That(_dispatcher.IdleWorkersOf(Game), Is.EqualTo(1));
        Assert.That(_dispatcher.WorkersOf(Game), Is.EqualTo(2), "a paused worker stays registered (mmi.service counts it)");

        _dispatcher.ClientRequest(Game, Request(1), 0);
        _dispatcher.ClientRequest(Game, Request(2), 0);
        Assert.That(_out.Sent.Select(s => s.Worker), Is.EqualTo(new[] { "b" }));
        Assert.That(_dispatcher.WaitingOf(Game), Is.EqualTo(1));
        Assert.That(_out.Commands, Is.Empty);
    }

    [Test]
    public void PausedWorker_SaysReady_TakesTheOldestWaitingRequest()
    {
        ReadyZmqGame("a");
        _dispatcher.WorkerPaused(Id("a"));
        _dispatcher.ClientRequest(Game, Request(1), 0);
        _dispatcher.ClientRequest(Game, Request(2), 0);
        Assert.That(_out.Sent, Is.Empty);

        _dispatcher.WorkerResumed(Id("a"));

        Assert.That(_out.Sent.Select(s => (s.Worker, s.RequestId)), Is.EqualTo(new[] { ("a", 1UL) }));
        Assert.That(_dispatcher.WaitingOf(Game), Is.EqualTo(1));
    }

    [Test]
    public void PausedWorker_SaysReady_GoesToTheBackOfTheIdleList()
    {
        ReadyZmqGame("a");
        ReadyZmqGame("b");
        _dispatcher.WorkerPaused(Id("a"));
        _dispatcher.WorkerResumed(Id("a"));

        _dispatcher.ClientRequest(Game, Request(1), 0);
        _dispatcher.ClientRequest(Game, Request(2), 0);

        Assert.That(_out.Sent.Select(s => s.Worker), Is.EqualTo(new[] { "b", "a" }), "least recently idle first");
    }

    [Test]
    public void PausedWhileBusy_ItsReplyIsForwarded_ButLeavesItPausedUntilReady()
    {
        ReadyZmqGame("a");
        _dispatcher.ClientRequest(Game, Request(1), 0);
        _dispatcher.WorkerPaused(Id("a"));
        _dispatcher.ClientRequest(Game, Request(2), 0);

        Reply("a", 1);
        Assert.That(_out.Sent.Select(s => s.RequestId), Is.EqualTo(new[] { 1UL }), "the request that crossed 'paused' is answered; nothing new is sent");
        Assert.That(_dispatcher.IdleWorkersOf(Game), Is.Zero);
        Assert.That(_dispatcher.WaitingOf(Game), Is.EqualTo(1));

        _dispatcher.WorkerResumed(Id("a"));
        Assert.That(_out.Sent.Select(s => s.RequestId), Is.EqualTo(new[] { 1UL, 2UL }));
        Assert.That(_out.Statuses, Is.Empty);
    }

    [Test]
    public void PausedAndBusy_SaysReady_BecomesIdleOnlyAfterItsReply()
    {
        ReadyZmqGame("a");
        _dispatcher.ClientRequest(Game, Request(1), 0);
        _dispatcher.WorkerPaused(Id("a"));
        _dispatcher.WorkerResumed(Id("a"));
        _dispatcher.ClientRequest(Game, Request(2), 0);
        Assert.That(_out.Sent.Select(s => s.RequestId), Is.EqualTo(new[] { 1UL }), "it still holds request 1");

        Reply("a", 1);
        Assert.That(_out.Sent.Select(s => s.RequestId), Is.EqualTo(new[] { 1UL, 2UL }));
    }

    [Test]
    public void Ready_FromAWorkerNotPaused_ChangesNothing()
    {
        ReadyZmqGame("a");
        _dispatcher.WorkerResumed(Id("a"));
        _dispatcher.WorkerResumed(Id("a"));

        Assert.That(_dispatcher.IdleWorkersOf(Game), Is.EqualTo(1), "not listed twice");
        _dispatcher.ClientRequest(Game, Request(1), 0);
        _dispatcher.ClientRequest(Game, Request(2), 0);
        Assert.That(_out.Sent.Select(s => s.RequestId), Is.EqualTo(new[] { 1UL }));
    }

    [Test]
    public void PausedWorker_GoesSilent_IsRemoved_LivenessStillApplies()
    {
        ReadyZmqGame("a");
        _dispatcher.WorkerPaused(Id("a"));

        _clock.Advance(TimeSpan.FromSeconds(2.9));
        _dispatcher.Tick();
        Assert.That(_dispatcher.WorkersOf(Game), Is.EqualTo(1), "'paused' counts as a sign of life");

        _clock.Advance(TimeSpan.FromSeconds(0.2));
        _dispatcher.Tick();
        Assert.That(_dispatcher.WorkersOf(Game), Is.Zero);
        Assert.That(_stats.WorkersExpired, Is.EqualTo(1));
    }

    [Test]
    public void PausedWorker_Drains_IsRemovedAndConfirmedAtOnce_AndReadyAfterDrainingIsIgnored()
    {
        ReadyZmqGame("a");
        ReadyZmqGame("b");
        _dispatcher.ClientRequest(Game, Request(1), 0);
        _dispatcher.WorkerPaused(Id("b"));
        _dispatcher.WorkerDraining(Id("b"));
        Assert.That(_out.Commands, Is.EqualTo(new[] { ("b", Mdp.Disconnect) }));

        _dispatcher.WorkerDraining(Id("a"));
        _dispatcher.WorkerPaused(Id("a"));
        _dispatcher.WorkerResumed(Id("a"));
        _dispatcher.ClientRequest(Game, Request(2), 0);
        Assert.That(_out.Sent.Select(s => s.RequestId), Is.EqualTo(new[] { 1UL }), "a draining worker takes nothing new, whatever it says");

        Reply("a", 1);
        Assert.That(_out.Commands, Is.EqualTo(new[] { ("b", Mdp.Disconnect), ("a", Mdp.Disconnect) }));
    }

    [Test]
    public void PausedOrReady_FromAnUnknownWorker_IsToldToReconnect()
    {
        _dispatcher.WorkerPaused(Id("x"));
        _dispatcher.WorkerResumed(Id("y"));

        Assert.That(_out.Commands, Is.EqualTo(new[] { ("x", Mdp.Disconnect), ("y", Mdp.Disconnect) }));
    }
}
