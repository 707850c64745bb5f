using Microsoft.Extensions.Logging.Abstractions;
using ZmqGame.Broker;
using ZmqGame.Broker.Limits;
using ZmqGame.Broker.Sessions;

namespace ZmqGame.Bench.Micro;

/// <summary>
/// The frontend's admission of a request with the request rate limit on (a limit high enough that every request is
/// admitted, and one low enough that most are refused): sessions' buckets and, for clients without a session,
/// connections' buckets, as <see cref="RequestLimiter.Admit"/> takes them before a request is rented.
/// </summary>
internal sealed class AdmissionRig
{
    private readonly RequestLimiter _limiter;
    private readonly Session[] _sessions;
    private readonly byte[][] _connections;
    private int _next;

    /// <param name="perSecond">The limit per session: high admits everything, low refuses most.</param>
    /// <param name="clients">Distinct sessions and connections the requests cycle through.</param>
    public AdmissionRig(int perSecond, int clients = 64)
    {
        var options = new LimitsOptions { SessionRequestsPerSecond = perSecond };
        _limiter = new RequestLimiter(options, new BrokerStats(), NullLogger.Instance, TimeProvider.System, TimeSpan.FromSeconds(10));
        _sessions = new Session[clients];
        _connections = new byte[clients][];
        for (var c = 0; c < clients; c++)
        {
            _sessions[c] = new Session((ulong)c + 1, []);
            _connections[c] = [0, 0x40, 0, 0, (byte)c];
        }
    }

    /// <summary>One session request and one sessionless request; the number admitted (0-2).</summary>
    public int AdmitOne()
    {
        var c = _next++ % _sessions.Length;
        var admitted = _limiter.Admit(_sessions[c], _connections[c], answered: true, out _) is null ? 1 : 0;
        return admitted + (_limiter.Admit(null, _connections[c], answered: false, out _) is null ? 1 : 0);
    }
}
