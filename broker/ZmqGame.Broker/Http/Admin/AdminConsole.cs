using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using ZmqGame.Protocol;

namespace ZmqGame.Broker.Http.Admin;

/// <summary>
/// The web admin console on the broker's HTTP endpoint: the page at <c>/</c> (static HTML, JavaScript and CSS embedded
/// in the broker, no build step) and its JSON API under <c>/admin/api</c>: <c>overview</c> (counters, services,
/// workers), <c>sessions</c> (newest first, filtered by user), and the actions <c>kick</c>, <c>push</c> and
/// <c>drain</c>. Loop-owned state is read and changed on the broker's loop only (snapshots and actions are posted to
/// it and awaited at most <see cref="LoopTimeout"/>); <see cref="AdminAccess"/> decides who may call.
/// </summary>
internal sealed class AdminConsole
{
    public const string ApiPath = "/admin/api";

    /// <summary>Longest a request waits for the broker's loop (or, for an action in a cluster, for the other brokers).</summary>
    public static readonly TimeSpan LoopTimeout = TimeSpan.FromSeconds(5);

    private const int DefaultPage = 50;

    private readonly Func<BrokerHost?> _server;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly int _maxMessageSize;
    private readonly LogThrottle _badRequestThrottle;
    private readonly Lock _throttleLock = new();
    private long _badRequests;

    private AdminConsole(Func<BrokerHost?> server, ILogger logger, TimeProvider time, TimeSpan logInterval, int maxMessageSize)
    {
        _maxMessageSize = maxMessageSize;
        _server = server;
        _logger = logger;
        _time = time;
        _badRequestThrottle = new LogThrottle(time, logInterval);
    }

    /// <summary>Maps the page and the API; <paramref name="server"/> gives the broker once bound (null before).</summary>
    public static void Map(WebApplication app, BrokerOptions options, Func<BrokerHost?> server, ILogger logger, TimeProvider time)
    {
        var access = new AdminAccess(options.Http.AdminToken, logger, time, options.BadInputLogInterval);
        var console = new AdminConsole(server, logger, time, options.BadInputLogInterval, options.MaxMessageSize);
        app.UseWhen(
            context => context.Request.Path == "/" || context.Request.Path.StartsWithSegments("/admin", StringComparison.Ordinal),
            branch => branch.Use(access.Gate));

        AdminPage.Map(app);
        var api = app.MapGroup(ApiPath);
        api.MapGet("/overview", (Delegate)console.OverviewAsync);
        api.MapGet("/sessions", console.SessionsAsync);
        api.MapPost("/kick", (Delegate)console.KickAsync);
        api.MapPost("/push", (Delegate)console.PushAsync);
        api.MapPost("/drain", (Delegate)console.DrainAsync);
        api.Map("/{**rest}", (HttpContext context) => console.Bad(context, "no such admin API: " + context.Request.Path, StatusCodes.Status404NotFound));
        AdminLog.Serving(logger, access.TokenRequired ? "the API needs the admin token" : "loopback clients only (no admin token set)");
    }

    /// <summary>The client's address, for log lines.</summary>
    public static string Remote(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "?";

    private Task<IResult> OverviewAsync(HttpContext context) =>
        OnLoopAsync(context, server => server.InvokeAsync(() => AdminSnapshots.Overview(server, _time)), overview => Results.Json(overview));

    private Task<IResult> SessionsAsync(HttpContext context, string? user, int? limit)
    {
        if (limit is < 1)
        {
            return Task.FromResult(Bad(context, "limit must be at least 1"));
        }

        var size = Math.Min(limit ?? DefaultPage, AdminSnapshots.MaxPage);
        var filter = user?.Trim() ?? string.Empty;
        return OnLoopAsync(context, server => server.InvokeAsync(() => AdminSnapshots.Sessions(server.Sessions, filter, size, _time)), page => Results.Json(page));
    }

    private async Task<IResult> KickAsync(HttpContext context)
    {
        if (await ReadAsync<AdminKick>(context).ConfigureAwait(false) is not { } kick)
        {
            return BadBody(context);
        }

        var args = new ActionArgs { Reason = string.IsNullOrWhiteSpace(kick.Reason) ? "kicked by an operator" : kick.Reason.Trim() };
        string target;
        if (!string.IsNullOrWhiteSpace(kick.User) && kick.Session is null)
        {
            if (!PushTarget.IsValidName(kick.User))
            {
                return Bad(context, "user must be 1 to 255 UTF-8 bytes");
            }

            args.Users = [kick.User];
            target = "user " + kick.User;
        }
        else if (kick.User is null && ulong.TryParse(kick.Session, out var session) && session != 0)
        {
            args.Sessions = [session];
            target = "session " + kick.Session;
        }
        else
        {
            return Bad(context, "kick needs a user, or a session id (a decimal number), not both");
        }

        return await OnLoopAsync(context, server => AdminActions.SessionActionAsync(server, SessionActions.Kick, args, []), result =>
        {
            if (result.Error is { } error)
            {
                return Bad(context, error);
            }

            if (result.Sessions == 0)
            {
                return Bad(context, $"no session of {target}" + ClusterNote());
            }

            AdminLog.Kicked(_logger, Remote(context), target, result.Sessions);
            return Results.Json(new AdminActionResult(result.Sessions, 0, null));
        }).ConfigureAwait(false);
    }

    private async Task<IResult> PushAsync(HttpContext context)
    {
        if (await ReadAsync<AdminPush>(context).ConfigureAwait(false) is not { } push)
        {
            return BadBody(context);
        }

        if (push.Cmd is not { } cmd || cmd < 0)
        {
            return Bad(context, "push needs cmd, the command id the client dispatches on (0 or more)");
        }

        if (string.IsNullOrWhiteSpace(push.Json))
        {
            return Bad(context, "empty push: give the message as JSON, e.g. {\"Text\": \"server restarts in 5 minutes\"}");
        }

        if (!JsonPayload.TryConvert(push.Json, out var payload, out var jsonError))
        {
            return Bad(context, jsonError);
        }

        if (payload.Length > _maxMessageSize)
        {
            return Bad(context, $"too large: a message of {payload.Length} bytes is over the broker's limit of {_maxMessageSize}");
        }

        var args = new ActionArgs { Command = cmd };
        string target;
        switch (push.Target)
        {
            case "user" when PushTarget.IsValidName(push.Name):
                args.Users = [push.Name!];
                target = "user " + push.Name;
                break;
            case "group" when PushTarget.IsValidName(push.Name):
                args.Groups = [push.Name!];
                target = "group " + push.Name;
                break;
            case "all":
                args.All = true;
                target = "every session";
                break;
            case "user" or "group":
                return Bad(context, $"push to a {push.Target} needs its name (1 to 255 UTF-8 bytes)");
            default:
                return Bad(context, "push needs a target: user, group or all");
        }

        return await OnLoopAsync(context, server => AdminActions.SessionActionAsync(server, SessionActions.Push, args, [payload]), result =>
        {
            if (result.Error is { } error)
            {
                return Bad(context, error);
            }

            if (result.Sessions == 0 && result.Dropped == 0 && !args.All)
            {
                return Bad(context, $"no session of {target}" + ClusterNote());
            }

            AdminLog.Pushed(_logger, Remote(context), cmd, target, result.Sessions, result.Dropped);
            return Results.Json(new AdminActionResult(result.Sessions, result.Dropped, null));
        }).ConfigureAwait(false);
    }

    private async Task<IResult> DrainAsync(HttpContext context)
    {
        if (await ReadAsync<AdminDrain>(context).ConfigureAwait(false) is not { } drain)
        {
            return BadBody(context);
        }

        byte[] identity;
        try
        {
            identity = Convert.FromHexString(drain.Worker ?? string.Empty);
        }
        catch (FormatException)
        {
            return Bad(context, "drain needs worker, a worker's identity in hex as the overview lists it");
        }

        if (identity.Length == 0)
        {
            return Bad(context, "drain needs worker, a worker's identity in hex as the overview lists it");
        }

        return await OnLoopAsync(context, server => AdminActions.DrainAsync(server, identity), drained =>
        {
            var outcome = drained.Outcome switch
            {
                DrainOutcome.Drained => "drained",
                DrainOutcome.Finishing => "finishing its request, then drained",
                DrainOutcome.AlreadyDraining => "already draining",
                _ => null,
            };
            if (outcome is null)
            {
                return Bad(context, $"no worker {drain.Worker} on this broker");
            }

            AdminLog.Drained(_logger, Remote(context), drain.Worker!, drained.Service ?? "?", outcome);
            return Results.Json(new AdminActionResult(0, 0, outcome));
        }).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="work"/> against the bound broker and answers with <paramref name="answer"/>; 503 when the broker is not bound or its loop does not answer in time.</summary>
    private async Task<IResult> OnLoopAsync<T>(HttpContext context, Func<BrokerHost, Task<T>> work, Func<T, IResult> answer)
    {
        if (_server() is not { } server)
        {
            return Unavailable("the broker is not serving yet (endpoints not bound)");
        }

        T result;
        try
        {
            result = await work(server).WaitAsync(LoopTimeout, context.RequestAborted).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return Unavailable($"the broker did not answer within {LoopTimeout.TotalSeconds:0} s");
        }
        catch (InvalidOperationException)
        {
            return Unavailable("the broker is stopping");
        }

        return answer(result);
    }

    private string ClusterNote() => _server()?.ClusterSessions is null ? string.Empty : " on any broker of the cluster";

    private static IResult Unavailable(string reason) => Results.Json(new AdminError(reason), statusCode: StatusCodes.Status503ServiceUnavailable);

    private IResult BadBody(HttpContext context) =>
        Bad(context, "the body must be a JSON object (Content-Type: application/json)");

    /// <summary>A 400 (or <paramref name="status"/>) with the reason; counted and logged at most once per interval.</summary>
    private IResult Bad(HttpContext context, string reason, int status = StatusCodes.Status400BadRequest)
    {
        var count = Interlocked.Increment(ref _badRequests);
        bool log;
        long suppressed;
        lock (_throttleLock)
        {
            log = _badRequestThrottle.ShouldLog(_time.GetTimestamp(), out suppressed);
        }

        if (log)
        {
            AdminLog.BadRequest(_logger, Remote(context), reason, count, suppressed);
        }

        return Results.Json(new AdminError(reason), statusCode: status);
    }

    private static async Task<T?> ReadAsync<T>(HttpContext context)
        where T : class
    {
        if (!context.Request.HasJsonContentType())
        {
            return null;
        }

        try
        {
            return await context.Request.ReadFromJsonAsync<T>(context.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
