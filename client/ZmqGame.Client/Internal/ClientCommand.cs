namespace ZmqGame.Client.Internal;

/// <summary>What another thread asks of the client's I/O thread.</summary>
internal enum ClientCommandKind
{
    /// <summary>Write a registered request (or hold it until the session is open).</summary>
    Send,

    /// <summary>Open a new connection for the reconnect loop's <see cref="Link"/>.</summary>
    Open,

    /// <summary>Say CLOSE (disposal).</summary>
    CloseSession,
}

/// <summary>One entry of the I/O thread's command queue.</summary>
internal sealed class ClientCommand
{
    private ClientCommand(ClientCommandKind kind, PendingRequest? request, Link? link, TaskCompletionSource<bool>? answered = null)
    {
        Kind = kind;
        Request = request;
        Link = link;
        Answered = answered;
    }

    public TaskCompletionSource<bool>? Answered { get; }

    public ClientCommandKind Kind { get; }

    public PendingRequest? Request { get; }

    public Link? Link { get; }

    public static ClientCommand CloseSession(TaskCompletionSource<bool> answered) => new(ClientCommandKind.CloseSession, null, null, answered);

    public static ClientCommand Send(PendingRequest request) => new(ClientCommandKind.Send, request, null);

    public static ClientCommand Open(Link link) => new(ClientCommandKind.Open, null, link);
}
