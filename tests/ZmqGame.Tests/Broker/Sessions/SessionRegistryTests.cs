using ZmqGame.Broker.Sessions;
using ZmqGame.Tests.Support;

namespace ZmqGame.Tests.Broker.Sessions;

/// <summary>The session indexes (by id, connection, user, activity) with a fake clock.</summary>
[TestFixture]
public sealed class SessionRegistryTests
{
    private ManualTimeProvider _clock = null!;
    private SessionRegistry _registry = null!;

    [SetUp]
    public void SetUp()
    {
        _clock = new ManualTimeProvider();
        _registry = new SessionRegistry(_clock);
    }

    [Test]
    public void Insert_ThenMapIdentity_FindsTheSessionByIdAndByConnection()
    {
        var session = Add(1, [0xA]);

        Assert.That(_registry.TryGetById(1, out var byId), Is.True);
        Assert.That(byId, Is.SameAs(session));
        Assert.That(_registry.TryGetByIdentity(new ReadOnlySpan<byte>([0xA]), out var bySpan), Is.True);
        Assert.That(bySpan, Is.SameAs(session));
        Assert.That(_registry.TryGetByIdentity(new byte[] { 0xA }, out var byArray), Is.True);
        Assert.That(byArray, Is.SameAs(session));
        Assert.That((_registry.Count, _registry.Detached), Is.EqualTo((1, 0)));
    }

    [Test]
    public void Detach_KeepsTheSession_WithoutAConnection()
    {
        var session = Add(1, [0xA]);

        _registry.Detach(session);

        Assert.That(session.Identity, Is.Null);
        Assert.That(_registry.TryGetByIdentity(new byte[] { 0xA }, out _), Is.False);
        Assert.That(_registry.TryGetById(1, out _), Is.True);
        Assert.That((_registry.Count, _registry.Detached), Is.EqualTo((1, 1)));
    }

    [Test]
    public void UnmapIdentity_ThenMapIdentity_MovesTheSessionToAnotherConnection()
    {
        var session = Add(1, [0xA]);

        _registry.UnmapIdentity(session);
        _registry.MapIdentity(session, [0xB]);

        Assert.That(_registry.TryGetByIdentity(new byte[] { 0xA }, out _), Is.False);
        Assert.That(_registry.TryGetByIdentity(new byte[] { 0xB }, out var found), Is.True);
        Assert.That(found, Is.SameAs(session));
        Assert.That(_registry.Detached, Is.Zero);
    }

    [Test]
    public void TryGetSilent_GivesTheLeastRecentlyHeard_OnlyOnceItsTimeoutPassed()
    {
        var timeout = TimeSpan.FromSeconds(10).Ticks;
        var a = Add(1, [0xA]);
        _clock.Advance(TimeSpan.FromSeconds(1));
        var b = Add(2, [0xB]);
        _clock.Advance(TimeSpan.FromSeconds(1));
        _registry.Heard(a);

        _clock.Advance(TimeSpan.FromSeconds(8.5));
        Assert.That(_registry.TryGetSilent(_clock.GetTimestamp(), timeout, out _), Is.False, "b was heard 9.5 s ago");

        _clock.Advance(TimeSpan.FromSeconds(0.5));
        Assert.That(_registry.TryGetSilent(_clock.GetTimestamp(), timeout, out var silent), Is.True);
        Assert.That(silent, Is.SameAs(b), "a was heard after b");

        _registry.Remove(b);
        Assert.That(_registry.TryGetSilent(_clock.GetTimestamp(), timeout, out _), Is.False);
    }

    [Test]
    public void Remove_TakesTheSessionOutOfEveryIndex()
    {
        var session = Add(1, [0xA]);
        session.SetUser("ada");
        _registry.BindUser("ada", session);

        _registry.Remove(session);

        Assert.That(_registry.TryGetById(1, out _), Is.False);
        Assert.That(_registry.TryGetByIdentity(new byte[] { 0xA }, out _), Is.False);
        Assert.That(_registry.ContainsUser("ada"), Is.False);
        Assert.That((_registry.Count, _registry.LoggedIn, _registry.Detached), Is.EqualTo((0, 0, 0)));
    }

    [Test]
    public void Remove_OfASessionWhoseUserIsBoundElsewhere_KeepsThatBinding()
    {
        var old = Add(1, [0xA]);
        old.SetUser("ada");
        var current = Add(2, [0xB]);
        current.SetUser("ada");
        _registry.BindUser("ada", current);

        _registry.Remove(old);

        Assert.That(_registry.TryGetByUser("ada", out var bound), Is.True);
        Assert.That(bound, Is.SameAs(current));
    }

    [Test]
    public void All_ListsEveryLiveSession()
    {
        var a = Add(1, [0xA]);
        var b = Add(2, [0xB]);
        _registry.Detach(b);

        Assert.That(_registry.All, Is.EquivalentTo(new[] { a, b }));
    }

    private Session Add(ulong id, byte[] identity)
    {
        var session = new Session(id, []);
        _registry.Insert(session);
        _registry.MapIdentity(session, identity);
        return session;
    }
}
