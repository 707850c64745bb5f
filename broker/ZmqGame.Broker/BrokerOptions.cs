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

    /// <summary>Time window in which one kind of bad input is logged at most once (the rest are counted).</summary>
    public TimeSpan BadInputLogInterval { get; set; } = TimeSpan.FromSeconds(10);

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

        if (RequestTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("invalid broker options: RequestTimeout must be positive");
        }
    }
}
