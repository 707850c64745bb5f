namespace ZmqGame.Broker.Http.Admin;

/// <summary>An admin API error: 400 for bad input, 401/403 for access, 503 when the broker's loop does not answer.</summary>
internal sealed record AdminError(string Error);

/// <summary>
/// <c>GET /admin/api/overview</c>: this broker's counters (totals since it started; the page turns them into rates),
/// services and workers. <paramref name="AtMs"/> is the broker's clock (Unix ms) when the snapshot was taken.
/// </summary>
internal sealed record AdminOverview(long AtMs, string? Cluster, AdminCounters Counters, IReadOnlyList<AdminService> Services, IReadOnlyList<AdminWorker> Workers);

/// <summary>
/// The live counters. Requests: client requests received; replies: worker replies forwarded to clients; errors:
/// client requests that ended with an error status (timeout, busy, worker lost, …); pushes: pushes sent by workers
/// and triggers (and this console); pushDeliveries: copies delivered to sessions; sessions: sessions held now.
/// </summary>
internal sealed record AdminCounters(long Requests, long Replies, long Errors, long Pushes, long PushDeliveries, long PushesDropped, long Sessions, long SessionsLoggedIn, long SessionsKicked, long Workers);

/// <summary>One service: its queue (requests and events waiting) and its workers by state.</summary>
internal sealed record AdminService(string Name, int Waiting, int Workers, int Idle, int Busy, int Paused, int Draining, long Requests);

/// <summary>One registered MDP worker (one slot of a worker process); <paramref name="Id"/> is its routing identity in hex.</summary>
internal sealed record AdminWorker(string Id, string Service, string Version, string State, double UptimeSeconds, long Served);

/// <summary>
/// <c>GET /admin/api/sessions</c>: the sessions of this broker that match <c>user</c> (a case-insensitive part of the
/// user id; empty: all), newest first, at most <c>limit</c>. Total: sessions held; matched: how many matched.
/// </summary>
internal sealed record AdminSessionPage(int Total, int Matched, int Limit, IReadOnlyList<AdminSession> Sessions);

/// <summary>One session; <paramref name="Id"/> is a decimal string (a 64-bit id does not fit a JavaScript number).</summary>
internal sealed record AdminSession(string Id, string? User, string Service, bool Attached, double AgeSeconds, double IdleSeconds, IReadOnlyList<string> Groups, int Queued);

/// <summary><c>POST /admin/api/kick</c>: a user (or a session id) and an optional reason shown to the client.</summary>
internal sealed record AdminKick(string? User, string? Session, string? Reason);

/// <summary>
/// <c>POST /admin/api/push</c>: to a <c>user</c>, a <c>group</c> or <c>all</c> (<paramref name="Name"/> names the user or
/// group), command id <paramref name="Cmd"/>, and the message as JSON text (sent as MessagePack, like the trigger's --json).
/// </summary>
internal sealed record AdminPush(string? Target, string? Name, int? Cmd, string? Json);

/// <summary><c>POST /admin/api/drain</c>: the worker's identity in hex, as the overview lists it.</summary>
internal sealed record AdminDrain(string? Worker);

/// <summary>What an action did: sessions reached (kick, push), dropped (push), or the drain's outcome.</summary>
internal sealed record AdminActionResult(int Sessions, int Dropped, string? Outcome);
