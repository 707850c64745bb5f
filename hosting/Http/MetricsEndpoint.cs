using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace ZmqGame.Hosting.Http;

/// <summary>
/// <c>/metrics</c>: the process's <c>zmqgame_*</c> instruments (System.Diagnostics.Metrics) in the Prometheus text format,
/// exported by OpenTelemetry's Prometheus exporter at each scrape, uncached.
/// </summary>
internal static class MetricsEndpoint
{
    public const string Path = "/metrics";

    /// <summary>Adds the OpenTelemetry meter provider that reads the meter named <paramref name="meterName"/>.</summary>
    public static void AddServices(IServiceCollection services, string meterName) =>
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(meterName)
            .AddPrometheusExporter(exporter => exporter.ScrapeResponseCacheDurationMilliseconds = 0));

    /// <summary>Maps <c>/metrics</c>; <paramref name="refresh"/> brings the figures up to date before each scrape.</summary>
    public static void Map(WebApplication app, Func<CancellationToken, Task> refresh)
    {
        app.UseWhen(
            context => context.Request.Path == Path,
            scrape => scrape.Use(async (context, next) =>
            {
                await refresh(context.RequestAborted).ConfigureAwait(false);
                await next(context).ConfigureAwait(false);
            }));
        app.MapPrometheusScrapingEndpoint(Path);
    }
}
