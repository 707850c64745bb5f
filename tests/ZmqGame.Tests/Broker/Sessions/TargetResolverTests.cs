using ZmqGame.Broker.Sessions;
using ZmqGame.Protocol;
using ZmqGame.Tests.Support;

namespace ZmqGame.Tests.Broker.Sessions;

/// <summary>An action's target resolved to sessions: a union, each session once, exclusions win.</summary>
[TestFixture]
public sealed class TargetResolverTests
{
    private SessionRegistry _registry = null!;
    private GroupIndex _groups = null!;
    private TargetResolver _resolver = null!;
    private Session _ada = null!;
    private Session _bob = null!;
    private Session _guest = null!;

    [SetUp]
    public void SetUp()
    {
        _registry = new SessionRegistry(new ManualTimeProvider());
        _groups = new GroupIndex(maxGroupsPerSession: 4);
        _resolver = new TargetResolver(_registry, _groups);
        _ada = Add(1, "ada");
        _bob = Add(2, "bob");
        _guest = Add(3, null);
        _groups.Join(_ada, "lobby");
        _groups.Join(_guest, "lobby");
    }

    [Test]
    public void Resolve_SessionsUsersAndGroups_GivesTheUnion_EachSessionOnce()
    {
        var targets = _resolver.Resolve(new ActionArgs { Sessions = [1, 99], Users = ["ada", "bob", "nobody"], Groups = ["lobby", "empty"] });

        Assert.That(targets, Is.EquivalentTo(new[] { _ada, _bob, _guest }));
    }

    [Test]
    public void Resolve_ExcludedUsersAndSessions_AreLeftOut()
    {
        var targets = _resolver.Resolve(new ActionArgs { All = true, Exclude = ["ada"], ExcludeSessions = [3] });

        Assert.That(targets, Is.EquivalentTo(new[] { _bob }));
    }

    [Test]
    public void Resolve_AllLoggedIn_GivesOnlySessionsBoundToAUser()
    {
        var targets = _resolver.Resolve(new ActionArgs { All = true, LoggedIn = true });

        Assert.That(targets, Is.EquivalentTo(new[] { _ada, _bob }));
    }

    [Test]
    public void Resolve_Twice_StartsAfresh()
    {
        _resolver.Resolve(new ActionArgs { Users = ["ada"] });

        var targets = _resolver.Resolve(new ActionArgs { Groups = ["lobby"] });

        Assert.That(targets, Is.EquivalentTo(new[] { _ada, _guest }), "a session targeted before is targeted again");
    }

    private Session Add(ulong id, string? user)
    {
        var session = new Session(id, []);
        _registry.Insert(session);
        _registry.MapIdentity(session, [(byte)id]);
        if (user is not null)
        {
            session.SetUser(user);
            _registry.BindUser(user, session);
        }

        return session;
    }
}
