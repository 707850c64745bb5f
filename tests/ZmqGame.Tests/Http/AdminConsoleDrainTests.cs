using ZmqGame.Broker;

namespace ZmqGame.Tests.Broker;

/// <summary>
/// The admin console's drain of a worker (<see cref="Dispatcher.DrainWorker"/>): no new work, the request it holds is
/// finished, and it stays registered without a DISCONNECT (which would make it reconnect as a fresh worker).
/// </summary>
public sealed partial class DispatcherTests
{
    [Test]
    public void OperatorDrain_Busy_FinishesItsRequest_ThenTakesNothing_AndStaysRegistered()
    {
        ReadyZmqGame("a");
        ReadyZmqGame("b");
        _dispatcher.ClientRequest(Game, Request(1), 0);
        Assert.That(_out.Sent.Select(s => s.Worker), Is.EqualTo(new[] { "a" }));

        Assert.That(_dispatcher.DrainWorker(Id("a")), Is.EqualTo(DrainOutcome.Finishing));
        Reply("a", 1);
        _dispatcher.ClientRequest(Game, Request(2), 0);
        _dispatcher.ClientRequest(Game, Request(3), 0);

        Assert.That(_out.Sent.Select(s => (s.Worker, s.RequestId)), Is.EqualTo(new[] { ("a", 1UL), ("b", 2UL) }), "request 3 waits for b rather than go to a");
        Assert.That(_dispatcher.WaitingOf(Game), Is.EqualTo(1));
        Assert.That(_dispatcher.WorkersOf(Game), Is.EqualTo(2), "a drained worker stays registered");
        Assert.That(_out.Commands, Is.Empty, "no DISCONNECT: the worker would come back as a fresh one");
        Assert.That(_dispatcher.DrainWorker(Id("a")), Is.EqualTo(DrainOutcome.AlreadyDraining));
        Assert.That(_dispatcher.DrainWorker(Id("nobody")), Is.EqualTo(DrainOutcome.Unknown));
    }

    [Test]
    public void OperatorDrain_ThenTheWorkerStopsItself_ItsOwnDrainIsConfirmedWithDisconnect()
    {
        ReadyZmqGame("a");
        Assert.That(_dispatcher.DrainWorker(Id("a")), Is.EqualTo(DrainOutcome.Drained));
        Assert.That(_dispatcher.IdleWorkersOf(Game), Is.Zero);

        _dispatcher.WorkerDraining(Id("a"));

        Assert.That(_dispatcher.WorkersOf(Game), Is.Zero);
        Assert.That(_out.Commands, Is.EqualTo(new[] { ("a", ZmqGame.Protocol.Mdp.Disconnect) }));
    }
}
