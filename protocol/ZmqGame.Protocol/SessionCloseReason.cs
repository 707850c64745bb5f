namespace ZmqGame.Protocol;

/// <summary>Why a client session ended. Carried by CLOSED to the client and by the <c>client closed</c> event to a worker.</summary>
public enum SessionCloseReason : byte
{
    /// <summary>The client closed it (CLOSE, or the client was disposed).</summary>
    ClientClosed = 1,

    /// <summary>The broker heard nothing from the client for the session timeout; or a resume came too late.</summary>
    Expired = 2,

    /// <summary>A worker handler or the trigger kicked it.</summary>
    Kicked = 3,

    /// <summary>The same user logged in on a newer session (single-login policy).</summary>
    Replaced = 4,
}
