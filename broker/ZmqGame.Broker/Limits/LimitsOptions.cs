using System.ComponentModel.DataAnnotations;

namespace ZmqGame.Broker.Limits;

/// <summary>
/// Abuse limits on the frontend (section "Broker:Limits"). Every limit is off at 0, and every one is off by default.
/// </summary>
internal sealed class LimitsOptions
{
    /// <summary>
    /// Requests per second one client session may send, refilling a token bucket of <see cref="SessionRequestBurst"/>
    /// tokens; a request with no token is answered <c>rate limited</c> at once (a stock MDP client's is dropped). A
    /// client without a session (a stock MDP client) gets the same bucket for its connection. 0: no limit.
    /// </summary>
    [Range(0, 10_000_000)]
    public int SessionRequestsPerSecond { get; set; }

    /// <summary>Requests a session may send at once before the rate applies (the bucket's size). 0: as many as <see cref="SessionRequestsPerSecond"/>.</summary>
    [Range(0, 10_000_000)]
    public int SessionRequestBurst { get; set; }

    /// <summary>
    /// New frontend connections per second from one IP address (a bucket of as many tokens, so a second's worth may
    /// come at once); more are closed at accept. 0: no limit. Enforced on the broker's own transport only.
    /// </summary>
    [Range(0, 1_000_000)]
    public int ConnectionsPerSecondPerIp { get; set; }

    /// <summary>Frontend connections one IP address may hold open; more are closed at accept. 0: no limit. Own transport only.</summary>
    [Range(0, 1_000_000)]
    public int MaxConnectionsPerIp { get; set; }

    /// <summary>The bucket size the request limit uses: <see cref="SessionRequestBurst"/>, or the rate when that is 0.</summary>
    public int EffectiveBurst => SessionRequestBurst > 0 ? SessionRequestBurst : Math.Max(1, SessionRequestsPerSecond);

    /// <summary>True when a per-IP connection limit is set.</summary>
    public bool LimitsConnections => ConnectionsPerSecondPerIp > 0 || MaxConnectionsPerIp > 0;

    /// <summary>Throws with a clear message when a limit is out of range.</summary>
    public void Validate()
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(this, new ValidationContext(this), results, validateAllProperties: true))
        {
            throw new ArgumentException("invalid broker options: Limits: " + string.Join("; ", results.Select(r => r.ErrorMessage)));
        }

        if (SessionRequestBurst > 0 && SessionRequestsPerSecond == 0)
        {
            throw new ArgumentException("invalid broker options: Limits:SessionRequestBurst needs Limits:SessionRequestsPerSecond");
        }
    }
}
