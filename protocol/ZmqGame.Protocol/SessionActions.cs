namespace ZmqGame.Protocol;

/// <summary>Names of the session actions (ASCII words), shared by ZGW01 and the control endpoint.</summary>
internal static class SessionActions
{
    /// <summary>Push: arguments <c>cmd</c> and a target; payload frames are delivered as the push's payload.</summary>
    public const string Push = "push";

    /// <summary>Kick: arguments a target and <c>reason</c>. Each targeted session gets CLOSED (kicked) and ends.</summary>
    public const string Kick = "kick";

    /// <summary>Bind: arguments <c>session</c>, <c>user</c>, <c>flags</c>. A session bound to the same user before is replaced.</summary>
    public const string Bind = "bind";

    /// <summary>Unbind: argument <c>session</c>.</summary>
    public const string Unbind = "unbind";

    /// <summary>Join: arguments <c>group</c> and a target; the targeted sessions join the group.</summary>
    public const string Join = "join";

    /// <summary>Leave: arguments <c>group</c> and a target; the targeted sessions leave the group.</summary>
    public const string Leave = "leave";

    /// <summary>Control only. Worker event: arguments <c>service</c> and <c>cmd</c>; the payload goes to one idle worker of the service.</summary>
    public const string WorkerEvent = "worker";
}
