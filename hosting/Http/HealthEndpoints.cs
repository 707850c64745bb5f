using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ZmqGame.Hosting.Http;

/// <summary>
/// <c>/healthz</c> and <c>/readyz</c>: alive is 200 as long as the process answers; ready is 200, or 503 with a short
/// reason (plain text) that the process gives when it should not be sent work.
/// </summary>
internal static class HealthEndpoints
{
    /// <summary>Maps both routes; <paramref name="notReady"/> returns why the process is not ready, or null when it is.</summary>
    public static RouteGroupBuilder Map(IEndpointRouteBuilder routes, Func<string?> notReady)
    {
        var group = routes.MapGroup(string.Empty);
        group.MapGet("/healthz", () => Results.Text("ok\n"));
        group.MapGet("/readyz", () => notReady() is { } reason
            ? Results.Text("not ready: " + reason + "\n", statusCode: StatusCodes.Status503ServiceUnavailable)
            : Results.Text("ready\n"));
        return group;
    }
}
