using MessagePack;

namespace ZmqGame.Protocol;

/// <summary>
/// Arguments of a session action (ZGW01 from a worker, or a control command from the trigger): one MessagePack map.
/// Keys not used by an action are ignored. A <em>target</em> is the union of <c>sessions</c>, <c>users</c>,
/// <c>groups</c> and <c>all</c>, minus <c>exclude</c> (user ids) and <c>exclude_sessions</c>.
/// </summary>
[MessagePackObject]
internal sealed class ActionArgs
{
    /// <summary>Target: these session ids.</summary>
    [Key("sessions")]
    public ulong[]? Sessions { get; set; }

    /// <summary>Target: the session each of these user ids is bound to.</summary>
    [Key("users")]
    public string[]? Users { get; set; }

    /// <summary>Target: every session in these groups.</summary>
    [Key("groups")]
    public string[]? Groups { get; set; }

    /// <summary>Target: every session (with <see cref="LoggedIn"/>, only sessions bound to a user).</summary>
    [Key("all")]
    public bool All { get; set; }

    /// <summary>With <see cref="All"/>: only sessions bound to a user.</summary>
    [Key("logged_in")]
    public bool LoggedIn { get; set; }

    /// <summary>Not these users, whatever else the target says.</summary>
    [Key("exclude")]
    public string[]? Exclude { get; set; }

    /// <summary>Not these sessions, whatever else the target says.</summary>
    [Key("exclude_sessions")]
    public ulong[]? ExcludeSessions { get; set; }

    /// <summary>push, worker: the command id the receiver dispatches on.</summary>
    [Key("cmd")]
    public int Command { get; set; }

    /// <summary>kick: why; shown to the kicked client and given to the close hook.</summary>
    [Key("reason")]
    public string? Reason { get; set; }

    /// <summary>bind, unbind: the session.</summary>
    [Key("session")]
    public ulong Session { get; set; }

    /// <summary>bind: the user id (1 to 255 UTF-8 bytes).</summary>
    [Key("user")]
    public string? User { get; set; }

    /// <summary>bind: the user's data flags (the game's own meaning: admin, muted, …).</summary>
    [Key("flags")]
    public ulong Flags { get; set; }

    /// <summary>join, leave: the group (1 to 255 UTF-8 bytes).</summary>
    [Key("group")]
    public string? Group { get; set; }

    /// <summary>worker: the service whose idle worker gets the event.</summary>
    [Key("service")]
    public string? Service { get; set; }

    /// <summary>True when the arguments name at least one target.</summary>
    [IgnoreMember]
    public bool HasTarget => All || Sessions is { Length: > 0 } || Users is { Length: > 0 } || Groups is { Length: > 0 };

    public byte[] Serialize() => MessagePackSerializer.Serialize(this, Payload.Options);

    /// <summary>Parses an arguments frame; false (with a reason) for anything that is not one.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> frame, out ActionArgs args, out string error)
    {
        try
        {
            args = MessagePackSerializer.Deserialize<ActionArgs>(frame, Payload.Options) ?? new ActionArgs();
            error = string.Empty;
            return true;
        }
        catch (MessagePackSerializationException ex)
        {
            args = new ActionArgs();
            error = "unreadable arguments: " + (ex.InnerException?.Message ?? ex.Message);
            return false;
        }
    }
}

/// <summary>What the control endpoint answers to a session action: sessions reached, and how many pushes were dropped.</summary>
[MessagePackObject]
internal sealed class ActionResult
{
    /// <summary>Sessions the action reached (push: pushes queued for delivery; kick: sessions closed; join/leave: sessions changed; worker: 1 when queued).</summary>
    [Key("sessions")]
    public int Sessions { get; set; }

    /// <summary>push: targeted sessions whose outbound queue was full (the push was dropped for them).</summary>
    [Key("dropped")]
    public int Dropped { get; set; }

    /// <summary>Set when the action failed; nothing was done.</summary>
    [Key("error")]
    public string? Error { get; set; }

    /// <summary>
    /// worker: the workers of the service registered when the event was queued (0: nobody got it yet, it waits for
    /// one). Absent from other actions' results and from older brokers' answers.
    /// </summary>
    [Key("workers")]
    public int? Workers { get; set; }

    /// <summary>A map of <c>sessions</c> and <c>dropped</c>, plus <c>error</c> and <c>workers</c> only when set.</summary>
    public byte[] Serialize()
    {
        var map = new Dictionary<string, object> { ["sessions"] = Sessions, ["dropped"] = Dropped };
        if (Error is not null)
        {
            map["error"] = Error;
        }

        if (Workers is { } workers)
        {
            map["workers"] = workers;
        }

        return MessagePackSerializer.Serialize(map, Payload.Options);
    }

    public static ActionResult Parse(ReadOnlyMemory<byte> frame) => MessagePackSerializer.Deserialize<ActionResult>(frame, Payload.Options);
}
