using ZmqGame.Broker.Sessions;

namespace ZmqGame.Tests.Broker.Sessions;

/// <summary>The group index: members per group and groups per session kept in step, a session's group limit.</summary>
[TestFixture]
public sealed class GroupIndexTests
{
    [Test]
    public void Join_AddsTheSessionToTheGroupAndTheGroupToTheSession_OnlyOnce()
    {
        var groups = new GroupIndex(maxGroupsPerSession: 4);
        var session = new Session(1, []);

        Assert.That(groups.Join(session, "lobby"), Is.True);
        Assert.That(groups.Join(session, "lobby"), Is.False, "already in it");

        Assert.That(session.Groups, Is.EqualTo(new[] { "lobby" }));
        Assert.That(groups.MembersOf("lobby"), Is.EqualTo(1));
        Assert.That(groups.TryGetMembers("lobby", out var members), Is.True);
        Assert.That(members, Is.EquivalentTo(new[] { session }));
        Assert.That(groups.Count, Is.EqualTo(1));
    }

    [Test]
    public void Join_AtTheSessionsGroupLimit_IsRefused_AndIsFullForSaysSo()
    {
        var groups = new GroupIndex(maxGroupsPerSession: 2);
        var session = new Session(1, []);
        groups.Join(session, "a");
        groups.Join(session, "b");

        Assert.That(groups.Join(session, "c"), Is.False);
        Assert.That(groups.IsFullFor(session, "c"), Is.True);
        Assert.That(groups.IsFullFor(session, "a"), Is.False, "a group it is in is not refused for lack of room");
        Assert.That(groups.IsFullFor(new Session(2, []), "c"), Is.False);
        Assert.That(groups.MembersOf("c"), Is.Zero);
    }

    [Test]
    public void Leave_ByTheLastMember_RemovesTheGroup()
    {
        var groups = new GroupIndex(maxGroupsPerSession: 4);
        var a = new Session(1, []);
        var b = new Session(2, []);
        groups.Join(a, "lobby");
        groups.Join(b, "lobby");

        Assert.That(groups.Leave(a, "lobby"), Is.True);
        Assert.That(groups.Leave(a, "lobby"), Is.False, "no longer in it");
        Assert.That(groups.MembersOf("lobby"), Is.EqualTo(1));

        groups.Leave(b, "lobby");
        Assert.That(groups.Count, Is.Zero);
        Assert.That(groups.TryGetMembers("lobby", out _), Is.False);
    }

    [Test]
    public void RemoveFromAll_TakesTheSessionOutOfEveryGroup_AndLeavesItsOwnList()
    {
        var groups = new GroupIndex(maxGroupsPerSession: 4);
        var ended = new Session(1, []);
        var other = new Session(2, []);
        groups.Join(ended, "a");
        groups.Join(ended, "b");
        groups.Join(other, "b");

        groups.RemoveFromAll(ended);

        Assert.That(groups.MembersOf("a"), Is.Zero);
        Assert.That(groups.MembersOf("b"), Is.EqualTo(1));
        Assert.That(groups.Count, Is.EqualTo(1));
        Assert.That(ended.Groups, Is.EqualTo(new[] { "a", "b" }));
    }
}
