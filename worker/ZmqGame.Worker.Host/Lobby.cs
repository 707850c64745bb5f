using MessagePack;
using Microsoft.Extensions.Logging;
using ZmqGame.Protocol;

namespace ZmqGame.Worker.Host;

/// <summary>Command ids of the sample <c>lobby</c> service (requests 1–5) and of the pushes it sends (100, 101).</summary>
public static class LobbyCommands
{
    /// <summary><see cref="LobbyLoginRequest"/> → <see cref="LobbyLoginReply"/>: binds the caller's session to the name.</summary>
    public const int Login = 1;

    /// <summary><see cref="LobbyRoomRequest"/> → <see cref="LobbyRoomReply"/>: joins the room; the room gets a <see cref="Notice"/> "joined".</summary>
    public const int Join = 2;

    /// <summary><see cref="LobbySayRequest"/> → <see cref="LobbySayReply"/>: the room gets a <see cref="ChatLine"/>. Logged in and in the room only.</summary>
    public const int Say = 3;

    /// <summary><see cref="LobbyRoomRequest"/> → <see cref="LobbyRoomReply"/>: leaves the room; the room gets a <see cref="Notice"/> "left".</summary>
    public const int Leave = 4;

    /// <summary><see cref="LobbyRoomRequest"/> → <see cref="LobbyRoomReply"/>: who is in the room.</summary>
    public const int Who = 5;

    /// <summary>Push: <see cref="LobbyChatLine"/>, a line said in a room the session is in.</summary>
    public const int ChatLine = 100;

    /// <summary>Push: <see cref="LobbyNotice"/>, someone joined or left a room the session is in.</summary>
    public const int Notice = 101;
}

/// <summary>Request of <see cref="LobbyCommands.Login"/>: the user name (1 to 32 characters).</summary>
[MessagePackObject(keyAsPropertyName: true)]
public sealed record LobbyLoginRequest(string? Name);

/// <summary>Reply of <see cref="LobbyCommands.Login"/>: the user the session is now bound to, and the session id.</summary>
[MessagePackObject(keyAsPropertyName: true)]
public sealed record LobbyLoginReply(string User, ulong Session);

/// <summary>Request of <see cref="LobbyCommands.Join"/>, <see cref="LobbyCommands.Leave"/> and <see cref="LobbyCommands.Who"/>: the room name (1 to 32 characters).</summary>
[MessagePackObject(keyAsPropertyName: true)]
public sealed record LobbyRoomRequest(string? Room);

/// <summary>Reply of <see cref="LobbyCommands.Join"/>, <see cref="LobbyCommands.Leave"/> and <see cref="LobbyCommands.Who"/>: the room's members afterwards.</summary>
[MessagePackObject(keyAsPropertyName: true)]
public sealed record LobbyRoomReply(string Room, string[] Members);

/// <summary>Request of <see cref="LobbyCommands.Say"/>: a line (1 to 500 characters) for a room.</summary>
[MessagePackObject(keyAsPropertyName: true)]
public sealed record LobbySayRequest(string? Room, string? Text);

/// <summary>Reply of <see cref="LobbyCommands.Say"/>: how many members the line was pushed to (the sender included).</summary>
[MessagePackObject(keyAsPropertyName: true)]
public sealed record LobbySayReply(string Room, int Members);

/// <summary>Push <see cref="LobbyCommands.ChatLine"/>.</summary>
[MessagePackObject(keyAsPropertyName: true)]
public sealed record LobbyChatLine(string Room, string From, string Text);

/// <summary>Push <see cref="LobbyCommands.Notice"/>: <c>What</c> is "joined" or "left".</summary>
[MessagePackObject(keyAsPropertyName: true)]
public sealed record LobbyNotice(string Room, string User, string What);

/// <summary>
/// The sample chat lobby: log in, join rooms, say lines that are pushed to everyone in the room. Rooms are broker
/// groups named <c>room:&lt;room&gt;</c>; the member lists live in this worker process (run the lobby in one worker
/// process; a real game keeps them in a shared store).
/// </summary>
internal static partial class LobbyService
{
    public const int MaxNameLength = 32;
    public const int MaxTextLength = 500;

    public static string Group(string room) => "room:" + room;

    public static RouteGroup Map(WorkerApp app, ILogger logger)
    {
        var rooms = new LobbyRooms();
        var lobby = app.MapService(SampleServices.Lobby);

        lobby.OnClientConnected(e => ClientConnected(logger, e.Session.Id, e.Service));
        lobby.OnClientClosed(e =>
        {
            ClientClosed(logger, e.Session.Id, e.Session.UserId ?? "-", e.Reason, e.ReasonText);
            // The broker has already taken the session out of its groups: tell the rooms it was in. Runs twice at
            // most after a worker crash; the second run finds nothing to remove.
            var (user, left) = rooms.RemoveSession(e.Session.Id);
            foreach (var room in left)
            {
                e.Push(PushTarget.Group(Group(room)), LobbyCommands.Notice, new LobbyNotice(room, user, "left"));
            }
        });

        lobby.Map<LobbyLoginRequest, LobbyLoginReply>(LobbyCommands.Login, (login, ctx) =>
        {
            var name = CheckName(login.Name, "name");
            if (!ctx.Session.Exists)
            {
                throw new RequestRejectedException(Status.NotAuthorised, "no session: connect with a ZmqGame client, which opens one");
            }

            ctx.Login(name);
            rooms.SetUser(ctx.Session.Id, name);
            return new LobbyLoginReply(name, ctx.Session.Id);
        });

        lobby.Map<LobbyRoomRequest, LobbyRoomReply>(LobbyCommands.Join, (join, ctx) =>
        {
            var room = CheckName(join.Room, "room");
            var user = RequireLogin(ctx, "join a room");
            ctx.JoinGroup(Group(room));
            var members = rooms.Join(ctx.Session.Id, user, room);
            // Sent after the join on the same socket: the joiner gets the notice too.
            ctx.Push(PushTarget.Group(Group(room)), LobbyCommands.Notice, new LobbyNotice(room, user, "joined"));
            return new LobbyRoomReply(room, members);
        });

        lobby.Map<LobbySayRequest, LobbySayReply>(LobbyCommands.Say, (say, ctx) =>
        {
            var room = CheckName(say.Room, "room");
            if (string.IsNullOrEmpty(say.Text) || say.Text.Length > MaxTextLength)
            {
                throw new RequestRejectedException(Status.BadRequest, $"text must be 1 to {MaxTextLength} characters");
            }

            var user = RequireLogin(ctx, "say something");
            var members = rooms.MembersIfIn(ctx.Session.Id, room)
                ?? throw new RequestRejectedException(Status.NotAuthorised, $"not in room '{room}': join it first (command {LobbyCommands.Join})");
            ctx.Push(PushTarget.Group(Group(room)), LobbyCommands.ChatLine, new LobbyChatLine(room, user, say.Text));
            return new LobbySayReply(room, members.Length);
        });

        lobby.Map<LobbyRoomRequest, LobbyRoomReply>(LobbyCommands.Leave, (leave, ctx) =>
        {
            var room = CheckName(leave.Room, "room");
            var user = RequireLogin(ctx, "leave a room");
            ctx.LeaveGroup(Group(room));
            var (wasIn, members) = rooms.Leave(ctx.Session.Id, room);
            if (wasIn)
            {
                ctx.Push(PushTarget.Group(Group(room)), LobbyCommands.Notice, new LobbyNotice(room, user, "left"));
            }

            return new LobbyRoomReply(room, members);
        });

        lobby.Map<LobbyRoomRequest, LobbyRoomReply>(LobbyCommands.Who, (who, _) =>
        {
            var room = CheckName(who.Room, "room");
            return new LobbyRoomReply(room, rooms.Members(room));
        });

        return lobby;
    }

    private static string CheckName(string? value, string what) =>
        string.IsNullOrWhiteSpace(value) || value.Length > MaxNameLength || !PushTarget.IsValidName(value)
            ? throw new RequestRejectedException(Status.BadRequest, $"{what} must be 1 to {MaxNameLength} characters")
            : value;

    private static string RequireLogin(RequestContext ctx, string what) =>
        ctx.Session.UserId ?? throw new RequestRejectedException(Status.NotAuthorised, $"log in first (command {LobbyCommands.Login}) to {what}");

    [LoggerMessage(EventId = 1300, Level = LogLevel.Information, Message = "client connected: session {Session} service {Service}")]
    private static partial void ClientConnected(ILogger logger, ulong session, string service);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "client closed: session {Session} user {User} reason {Reason} ({Text})")]
    private static partial void ClientClosed(ILogger logger, ulong session, string user, SessionCloseReason? reason, string? text);
}

/// <summary>Who is in which room, by session (one lock: the lobby is a sample, not a hot path).</summary>
internal sealed class LobbyRooms
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, HashSet<ulong>> _rooms = new(StringComparer.Ordinal);
    private readonly Dictionary<ulong, Member> _sessions = [];

    public void SetUser(ulong session, string user)
    {
        lock (_lock)
        {
            if (_sessions.TryGetValue(session, out var member))
            {
                member.User = user;
            }
            else
            {
                _sessions[session] = new Member(user);
            }
        }
    }

    /// <summary>Adds the session to the room; the members afterwards.</summary>
    public string[] Join(ulong session, string user, string room)
    {
        lock (_lock)
        {
            if (!_sessions.TryGetValue(session, out var member))
            {
                member = new Member(user);
                _sessions[session] = member;
            }

            member.Rooms.Add(room);
            if (!_rooms.TryGetValue(room, out var members))
            {
                members = [];
                _rooms[room] = members;
            }

            members.Add(session);
            return UsersOf(members);
        }
    }

    /// <summary>Takes the session out of the room; whether it was in, and the members afterwards.</summary>
    public (bool WasIn, string[] Members) Leave(ulong session, string room)
    {
        lock (_lock)
        {
            var wasIn = _sessions.TryGetValue(session, out var member) && member.Rooms.Remove(room);
            if (!_rooms.TryGetValue(room, out var members))
            {
                return (wasIn, []);
            }

            members.Remove(session);
            if (members.Count == 0)
            {
                _rooms.Remove(room);
            }

            return (wasIn, UsersOf(members));
        }
    }

    /// <summary>The room's members if the session is one of them, else null.</summary>
    public string[]? MembersIfIn(ulong session, string room)
    {
        lock (_lock)
        {
            return _rooms.TryGetValue(room, out var members) && members.Contains(session) ? UsersOf(members) : null;
        }
    }

    public string[] Members(string room)
    {
        lock (_lock)
        {
            return _rooms.TryGetValue(room, out var members) ? UsersOf(members) : [];
        }
    }

    /// <summary>Forgets the session; its user and the rooms it was in (none if it was unknown).</summary>
    public (string User, string[] Rooms) RemoveSession(ulong session)
    {
        lock (_lock)
        {
            if (!_sessions.Remove(session, out var member))
            {
                return ("-", []);
            }

            foreach (var room in member.Rooms)
            {
                if (_rooms.TryGetValue(room, out var members) && members.Remove(session) && members.Count == 0)
                {
                    _rooms.Remove(room);
                }
            }

            return (member.User, [.. member.Rooms.Order(StringComparer.Ordinal)]);
        }
    }

    private string[] UsersOf(HashSet<ulong> members) =>
        [.. members.Select(s => _sessions.TryGetValue(s, out var m) ? m.User : "-").Order(StringComparer.Ordinal)];

    private sealed class Member(string user)
    {
        public string User { get; set; } = user;

        public HashSet<string> Rooms { get; } = new(StringComparer.Ordinal);
    }
}
