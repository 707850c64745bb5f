using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ZmqGame.Broker.Http.Admin;

/// <summary>
/// Who may use the admin console. With a token (<c>Broker:Http:AdminToken</c>), every <c>/admin/api</c> request must
/// carry <c>Authorization: Bearer &lt;token&gt;</c> (compared in fixed time), else 401; the page itself holds no data
/// and is served to anyone. Without a token, only loopback clients are answered (else 403), and only when they name
/// the broker by a loopback address or <c>localhost</c> (a web page of another site that rebinds its DNS name to
/// 127.0.0.1 is refused). In both modes an action (POST) that a browser says comes from another site (its
/// <c>Origin</c> is not this host) is refused 403. Refusals are counted and logged at most once per interval.
/// </summary>
internal sealed class AdminAccess
{
    private readonly byte[]? _tokenHash;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly LogThrottle _throttle;
    private readonly Lock _throttleLock = new();
    private long _refused;

    public AdminAccess(string token, ILogger logger, TimeProvider time, TimeSpan logInterval)
    {
        _tokenHash = token.Length > 0 ? SHA256.HashData(Encoding.UTF8.GetBytes(token)) : null;
        _logger = logger;
        _time = time;
        _throttle = new LogThrottle(time, logInterval);
    }

    /// <summary>Requests refused so far (401 and 403).</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Whether a token protects the console (else: loopback only).</summary>
    public bool TokenRequired => _tokenHash is not null;

    /// <summary>The middleware in front of the console's routes: answers 401/403 itself, or passes the request on.</summary>
    public async Task Gate(HttpContext context, RequestDelegate next)
    {
        if (Check(context) is { } refusal)
        {
            Refuse(context, refusal.Status, refusal.Reason);
            context.Response.StatusCode = refusal.Status;
            if (refusal.Status == StatusCodes.Status401Unauthorized)
            {
                context.Response.Headers.WWWAuthenticate = "Bearer realm=\"zmqgame-admin\"";
            }

            await context.Response.WriteAsJsonAsync(new AdminError(refusal.Reason), context.RequestAborted).ConfigureAwait(false);
            return;
        }

        await next(context).ConfigureAwait(false);
    }

    private (int Status, string Reason)? Check(HttpContext context)
    {
        var request = context.Request;
        var api = request.Path.StartsWithSegments(AdminConsole.ApiPath, StringComparison.Ordinal);
        if (_tokenHash is null)
        {
            if (context.Connection.RemoteIpAddress is not { } remote || !IPAddress.IsLoopback(remote))
            {
                return (StatusCodes.Status403Forbidden, "the admin console answers loopback clients only (set Broker:Http:AdminToken to open it to others)");
            }

            if (!IsLoopbackHost(request.Host.Host))
            {
                return (StatusCodes.Status403Forbidden, "without an admin token, open the console as http://127.0.0.1:PORT/ or http://localhost:PORT/");
            }
        }
        else if (api && !HasToken(request))
        {
            return (StatusCodes.Status401Unauthorized, "the admin API needs the header Authorization: Bearer <Broker:Http:AdminToken>");
        }

        if (api && HttpMethods.IsPost(request.Method) && request.Headers.Origin is { Count: > 0 } origin && !SameHost(origin.ToString(), request))
        {
            return (StatusCodes.Status403Forbidden, "an action from a page of another site");
        }

        return null;
    }

    private bool HasToken(HttpRequest request)
    {
        const string Scheme = "Bearer ";
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        // Both sides hashed: the comparison takes the same time whatever the length or content of the guess.
        var given = SHA256.HashData(Encoding.UTF8.GetBytes(header.AsSpan(Scheme.Length).Trim().ToString()));
        return CryptographicOperations.FixedTimeEquals(given, _tokenHash);
    }

    private static bool IsLoopbackHost(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));

    private static bool SameHost(string origin, HttpRequest request) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri)
        && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);

    private void Refuse(HttpContext context, int status, string reason)
    {
        var count = Interlocked.Increment(ref _refused);
        bool log;
        long suppressed;
        lock (_throttleLock)
        {
            log = _throttle.ShouldLog(_time.GetTimestamp(), out suppressed);
        }

        if (log)
        {
            AdminLog.Refused(_logger, AdminConsole.Remote(context), status, reason, count, suppressed);
        }
    }
}
