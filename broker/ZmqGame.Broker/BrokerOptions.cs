using System.ComponentModel.DataAnnotations;

namespace ZmqGame.Broker;

/// <summary>Broker settings: section "Broker" of appsettings.json, or the command line.</summary>
internal sealed class BrokerOptions
{
    public const string Section = "Broker";

    /// <summary>Where game clients connect (ROUTER). Port 0 binds a free port.</summary>
    [Required]
    public string Frontend { get; set; } = "tcp://*:5555";

    /// <summary>Where workers connect (ROUTER).</summary>
    [Required]
    public string Backend { get; set; } = "tcp://*:5556";

    /// <summary>Where the trigger and admin tools connect (ROUTER). Loopback by default.</summary>
    [Required]
    public string Control { get; set; } = "tcp://127.0.0.1:5557";

    /// <summary>
    /// Where browser and WebGL clients connect over WebSocket (ZWS 2.0, ZeroMQ RFC 45): <c>ws://host:port[/path]</c>, or
    /// <c>wss://…</c> with <see cref="WebSocketCertificate"/>; port 0 picks a free port. The same protocols, limits and
    /// counters as <see cref="Frontend"/>. Empty (the default): no WebSocket frontend.
    /// </summary>
    public string WebSocket { get; set; } = string.Empty;

    /// <summary>The certificate of a <c>wss://</c> <see cref="WebSocket"/>: a .pfx/.p12 file, or a PEM file with the certificate and its key.</summary>
    public string WebSocketCertificate { get; set; } = string.Empty;

    /// <summary>The private key's PEM file when <see cref="WebSocketCertificate"/> is a PEM file without it.</summary>
    public string WebSocketCertificateKey { get; set; } = string.Empty;

    /// <summary>The password of a .pfx/.p12 <see cref="WebSocketCertificate"/>, if it has one.</summary>
    public string WebSocketCertificatePassword { get; set; } = string.Empty;

    /// <summary>Whether the broker serves a WebSocket frontend.</summary>
    public bool WebSocketEnabled => WebSocket.Length > 0;

    /// <summary>Heartbeat period towards workers, and what a worker is expected to keep.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromMilliseconds(2500);

    /// <summary>Missed heartbeat periods after which a silent worker is removed.</summary>
    [Range(1, 100)]
    public int Liveness { get; set; } = 3;

    /// <summary>Longest a request waits in the broker for an idle worker. A client may ask for less.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Requests that may wait per service; more are answered <c>busy</c>.</summary>
    [Range(1, 10_000_000)]
    public int MaxQueuedPerService { get; set; } = 10_000;

    /// <summary>Distinct service names the broker tracks; requests for more are answered <c>bad request</c>.</summary>
    [Range(1, 1_000_000)]
    public int MaxServices { get; set; } = 1024;

    /// <summary>Largest inbound message in bytes; a peer that sends more is disconnected by the transport.</summary>
    [Range(1024, int.MaxValue)]
    public int MaxMessageSize { get; set; } = 1 << 20;

    /// <summary>Outbound messages queued per peer before sends to it are dropped (and counted).</summary>
    [Range(1, 10_000_000)]
    public int SendHighWatermark { get; set; } = 10_000;

    /// <summary>
    /// Connections the operating system may hold for the broker before it accepts them (the listen backlog; capped by
    /// net.core.somaxconn). Thousands of clients reconnect at once after a broker restart or a network blip; with a
    /// short backlog the ones that do not fit wait for their TCP retransmission timers, seconds each time.
    /// </summary>
    [Range(1, 65535)]
    public int ListenBacklog { get; set; } = 4096;

    /// <summary>
    /// A TCP connection that has not finished the ZeroMQ handshake (greeting and READY) within this time is closed and
    /// counted (<c>bad_input.ConnectionDropped</c>): port scanners and stuck peers do not hold connections forever.
    /// </summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Time window in which one kind of bad input is logged at most once (the rest are counted).</summary>
    public TimeSpan BadInputLogInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A client session that hears nothing from its client for this long expires (its close event goes to a worker).</summary>
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Sessions the broker holds at once; a HELLO beyond it is answered CLOSED.</summary>
    [Range(1, 10_000_000)]
    public int MaxSessions { get; set; } = 100_000;

    /// <summary>Messages (pushes, session notices) queued per session while its connection cannot take them; more are dropped and counted.</summary>
    [Range(1, 1_000_000)]
    public int SessionQueueLimit { get; set; } = 256;

    /// <summary>Groups one session may be in (at most 255: resume tickets carry them).</summary>
    [Range(1, 255)]
    public int MaxGroupsPerSession { get; set; } = 64;

    /// <summary>Longest a session event (client connected / closed, trigger event) waits for an idle ZmqGame worker before it is dropped and counted.</summary>
    public TimeSpan EventTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// File holding the key that signs resume tickets (created with a random key if missing). A broker restarted with
    /// the same key resumes the sessions of its predecessor. Empty: a random key per process (no resume across restarts).
    /// </summary>
    public string SessionKeyFile { get; set; } = string.Empty;

    /// <summary>
    /// On SIGTERM the broker becomes a lame duck instead of closing at once: it stops accepting connections, tells its
    /// ZmqGame clients to move to another broker of the cluster (MOVE), finishes the requests it holds and exits once
    /// every ZmqGame client has left (or <see cref="LameDuckTimeout"/> passed), leaving its sessions to resume elsewhere.
    /// Unset: on in a cluster (<see cref="Cluster"/>), off for a broker alone, whose clients have nowhere to move.
    /// </summary>
    public bool? LameDuck { get; set; }

    /// <summary>Whether SIGTERM makes this broker a lame duck: <see cref="LameDuck"/>, or by default whether it is in a cluster.</summary>
    public bool IsLameDuck => LameDuck ?? Cluster.Enabled;

    /// <summary>Longest a lame duck waits for its requests to finish and its clients to leave before it exits. Default 30 s.</summary>
    public TimeSpan LameDuckTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>CURVE security of the control endpoint and, optionally, the frontend.</summary>
    public SecurityOptions Security { get; set; } = new();

    /// <summary>Abuse limits on the frontend (request rate per session, connections per IP); all off by default.</summary>
    public Limits.LimitsOptions Limits { get; set; } = new();

    /// <summary>The broker cluster on NATS (<c>Cluster:Nats</c>, <c>Cluster:Name</c>); off by default.</summary>
    public Cluster.ClusterOptions Cluster { get; set; } = new();

    /// <summary>The HTTP endpoint (<c>Http:Url</c>: metrics and health); off by default.</summary>
    public Http.HttpOptions Http { get; set; } = new();

    /// <summary>Throws with a clear message when a setting is out of range.</summary>
    public void Validate()
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(this, new ValidationContext(this), results, validateAllProperties: true))
        {
            throw new ArgumentException("invalid broker options: " + string.Join("; ", results.Select(r => r.ErrorMessage)));
        }

        if (HeartbeatInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException("invalid broker options: HeartbeatInterval must be positive");
        }

        if (HandshakeTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("invalid broker options: HandshakeTimeout must be positive");
        }

        if (RequestTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("invalid broker options: RequestTimeout must be positive");
        }

        if (SessionTimeout <= TimeSpan.Zero || SessionTimeout > TimeSpan.FromDays(1))
        {
            throw new ArgumentException("invalid broker options: SessionTimeout must be positive and at most a day");
        }

        if (EventTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("invalid broker options: EventTimeout must be positive");
        }

        if (LameDuckTimeout <= TimeSpan.Zero || LameDuckTimeout > TimeSpan.FromDays(1))
        {
            throw new ArgumentException("invalid broker options: LameDuckTimeout must be positive and at most a day");
        }

        Security.Validate(Control);
        Limits.Validate();
        Cluster.Validate();
    }
}

/// <summary>
/// CURVE settings (section "Broker:Security"). With a server key pair, the control endpoint is a CURVE server and only
/// triggers whose public key is in <see cref="TriggerKeys"/> may act (each proves it holds its key with <c>auth</c>).
/// </summary>
internal sealed class SecurityOptions
{
    /// <summary>The broker's CURVE secret key (Z85, 40 characters); its public key is derived. Empty: no CURVE.</summary>
    public string ServerSecretKey { get; set; } = string.Empty;

    /// <summary>Public keys (Z85) of the triggers allowed on the control endpoint.</summary>
    public List<string> TriggerKeys { get; set; } = [];

    /// <summary>Also run the frontend as a CURVE server: clients need the broker's public key.</summary>
    public bool FrontendCurve { get; set; }

    /// <summary>Allow a control endpoint on a non-loopback address without CURVE (anyone who reaches it may push and kick).</summary>
    public bool AllowInsecureControl { get; set; }

    public bool Enabled => ServerSecretKey.Length > 0;

    public void Validate(string controlEndpoint)
    {
        if (Enabled && ServerSecretKey.Length != 40)
        {
            throw new ArgumentException("invalid broker options: Security:ServerSecretKey must be a 40-character Z85 key (trigger keygen makes one)");
        }

        foreach (var key in TriggerKeys)
        {
            if (key.Length != 40)
            {
                throw new ArgumentException($"invalid broker options: Security:TriggerKeys entry '{key}' is not a 40-character Z85 public key");
            }
        }

        if (FrontendCurve && !Enabled)
        {
            throw new ArgumentException("invalid broker options: Security:FrontendCurve needs Security:ServerSecretKey");
        }

        if (!Enabled && !AllowInsecureControl && !IsLoopback(controlEndpoint))
        {
            throw new ArgumentException(
                $"invalid broker options: the control endpoint {controlEndpoint} is not on loopback; set Security:ServerSecretKey and Security:TriggerKeys "
                + "(or Security:AllowInsecureControl=true to let anyone who reaches it push and kick)");
        }
    }

    private static bool IsLoopback(string endpoint) =>
        !endpoint.StartsWith("tcp://", StringComparison.Ordinal)
        || endpoint.StartsWith("tcp://127.", StringComparison.Ordinal)
        || endpoint.StartsWith("tcp://localhost:", StringComparison.Ordinal)
        || endpoint.StartsWith("tcp://[::1]:", StringComparison.Ordinal);
}
