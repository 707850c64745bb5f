namespace ZmqGame.Trigger;

/// <summary>
/// The counters and gauges of the broker's stats report that <c>trigger stats</c> knows: the section of the table each
/// belongs to, in the order shown, and a few words on what it counts (docs/operations.md says it in full). A key the broker
/// reports and this list does not name is still shown, under "other".
/// </summary>
internal static class StatsCatalog
{
    /// <summary>The sections, in the order they are printed.</summary>
    public static readonly string[] Sections = ["requests", "workers", "events", "sessions", "pushes", "limits", "bad input", "cluster", "other"];

    /// <summary>Sections whose zero rows are left out.</summary>
    public static readonly HashSet<string> NonZeroOnly = ["bad input"];

    /// <summary>Known keys (counters and gauges share one name space), by section, in the order shown.</summary>
    public static readonly (string Key, string Section, string Meaning)[] Entries =
    [
        ("requests", "requests", "client requests taken for a service (MMI and refused ones not included)"),
        ("replies", "requests", "worker replies to client requests (event answers are events_handled)"),
        ("timed_out", "requests", "requests no worker took before their deadline: answered timeout"),
        ("busy", "requests", "requests refused for a full service queue: answered busy"),
        ("worker_lost", "requests", "requests whose worker vanished before replying: answered worker lost"),
        ("dispatched", "requests", "requests and events sent to a worker (again after a hand-back)"),
        ("queued", "requests", "requests that waited for a worker"),
        ("redispatched", "requests", "requests and events handed back by a leaving worker and sent again"),
        ("no_session_requests", "requests", "requests naming a session their connection lacks: answered no session"),
        ("mmi_requests", "requests", "MMI queries (mmi.service and the like), answered by the broker itself"),
        ("mdp_unanswered", "requests", "stock MDP requests that ended without a reply (MDP has no error status)"),
        ("unroutable_client", "requests", "messages to clients whose connection was gone"),
        ("client_heartbeats", "requests", "heartbeats from ZmqGame clients"),
        ("client_disconnects", "requests", "client connections that closed"),
        ("workers", "workers", "workers registered now (gauge)"),
        ("workers_registered", "workers", "READY messages accepted"),
        ("workers_disconnected", "workers", "workers that left: DISCONNECT, closed connection, or drained"),
        ("workers_expired", "workers", "workers removed after missing their heartbeats"),
        ("unroutable_worker", "workers", "messages to workers whose connection was gone"),
        ("events", "events", "session and trigger events submitted for a worker"),
        ("events_handled", "events", "events a worker answered (the answer goes to nobody)"),
        ("events_expired", "events", "events no worker took before EventTimeout"),
        ("events_dropped", "events", "events dropped: queue full, service limit, or their worker lost twice"),
        ("sessions", "sessions", "sessions now (gauge)"),
        ("sessions_logged_in", "sessions", "of those, bound to a user (gauge)"),
        ("sessions_detached", "sessions", "of those, without a connection, waiting to be resumed (gauge)"),
        ("sessions_backlogged", "sessions", "of those, with pushes queued behind a full connection (gauge)"),
        ("groups", "sessions", "groups with at least one member (gauge)"),
        ("sessions_opened", "sessions", "new sessions"),
        ("sessions_resumed", "sessions", "sessions resumed by a reconnecting client"),
        ("sessions_refused", "sessions", "new sessions or resumes refused: session limit, or expired"),
        ("sessions_moved", "sessions", "sessions that moved to another broker of the cluster"),
        ("sessions_closed.client_closed", "sessions", "sessions closed by their client"),
        ("sessions_closed.expired", "sessions", "sessions that expired (no connection for SessionTimeout)"),
        ("sessions_closed.kicked", "sessions", "sessions kicked by a worker or the trigger"),
        ("sessions_closed.replaced", "sessions", "sessions closed by a newer login of the same user"),
        ("actions", "pushes", "session actions run (push, kick, bind, join and so on) from workers and the trigger"),
        ("pushes", "pushes", "push actions"),
        ("push_deliveries", "pushes", "push copies handed to sessions"),
        ("push_dropped.queue_full", "pushes", "push copies dropped: the session's queue was full"),
        ("push_dropped.session_ended", "pushes", "push copies dropped: the session ended first"),
        ("last_push_fanout_us", "pushes", "the last push's fan-out time in microseconds (gauge)"),
        ("last_push_written_us", "pushes", "the last push's time until written, in microseconds (gauge)"),
        ("rate_limited.session", "limits", "requests over a session's rate limit: answered rate limited"),
        ("rate_limited.connection", "limits", "requests over a sessionless connection's rate: answered rate limited"),
        ("rate_limited.mdp_dropped", "limits", "stock MDP requests over their connection's rate: dropped"),
        ("connections_refused.ip_rate", "limits", "connections closed at accept: too many new ones from the IP"),
        ("connections_refused.ip_cap", "limits", "connections closed at accept: too many open from the IP"),
        ("control_refused", "limits", "control commands refused: not authenticated, or auth refused"),
        ("curve_rejected.control", "limits", "control connections that failed the CURVE handshake"),
        ("curve_rejected.frontend", "limits", "frontend connections that failed the CURVE handshake"),
        ("bad_input", "bad input", "bad messages of every kind (each kind below)"),
        ("cluster_connected", "cluster", "1 while the link to NATS is up (gauge)"),
        ("cluster_brokers", "cluster", "brokers of the cluster alive, this one included (gauge)"),
        ("cluster_interests", "cluster", "user and group interests confirmed on NATS (gauge)"),
        ("cluster_logins", "cluster", "users bound here whose single login is stored in the cluster (gauge)"),
        ("cluster.published", "cluster", "messages published to NATS"),
        ("cluster.received", "cluster", "messages received from NATS"),
        ("cluster.dropped", "cluster", "messages dropped: publish queue full or NATS down"),
        ("cluster.reconnects", "cluster", "reconnections to NATS"),
        ("cluster.actions_run", "cluster", "other brokers' actions run here"),
        ("cluster.duplicates", "cluster", "actions that came again through another subject (not run again)"),
        ("cluster.bad_messages", "cluster", "unreadable messages on the cluster's subjects"),
    ];

    private static readonly Dictionary<string, (string Section, string Meaning, int Order)> ByKey =
        Entries.Select((e, i) => (e, i)).ToDictionary(x => x.e.Key, x => (x.e.Section, x.e.Meaning, x.i), StringComparer.Ordinal);

    /// <summary>The section a key is shown in: its catalog entry's, "bad input" for any <c>bad_input.*</c>, else "other".</summary>
    public static string SectionOf(string key) =>
        ByKey.TryGetValue(key, out var entry) ? entry.Section
        : key.StartsWith("bad_input.", StringComparison.Ordinal) ? "bad input"
        : key.StartsWith("cluster", StringComparison.Ordinal) ? "cluster"
        : "other";

    /// <summary>The few words on a key; a <c>bad_input.&lt;Kind&gt;</c> says its kind; empty for an unknown key.</summary>
    public static string MeaningOf(string key) =>
        ByKey.TryGetValue(key, out var entry) ? entry.Meaning
        : key.StartsWith("bad_input.", StringComparison.Ordinal) ? "bad messages of this kind (docs/operations.md)"
        : string.Empty;

    /// <summary>Sort position: catalog order, then unknown keys by name.</summary>
    public static int OrderOf(string key) => ByKey.TryGetValue(key, out var entry) ? entry.Order : int.MaxValue;
}
