using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ZmqGame.Hosting;
using ZmqGame.Hosting.Http;
using ZmqGame.Worker.Internal;
using ZmqGame.Worker.Metrics;

namespace ZmqGame.Worker.Host.Http;

/// <summary>
/// The worker host's HTTP endpoint (<c>--http</c>, <c>Worker:Http:Url</c>), a hosted service of the worker app's generic
/// host: started before the worker slots connect, stopped after they drained. <see cref="MapRoutes"/> maps each group of
/// routes with one call.
/// </summary>
internal sealed partial class WorkerHttp : IHostedService, IAsyncDisposable
{
    private readonly HttpEndpoint _endpoint;
    private readonly ILogger _logger;

    private WorkerHttp(string url, Func<WorkerApp?> app, ILoggerFactory loggerFactory)
    {
        _logger = loggerFactory.CreateLogger("ZmqGame.Worker.Host");
        _endpoint = HttpEndpoint.Build(
            url,
            loggerFactory,
            services => MetricsEndpoint.AddServices(services, WorkerMetrics.MeterName),
            web => MapRoutes(web, app));
    }

    /// <summary>
    /// Reads <c>Worker:Http</c> from <paramref name="builder"/>'s configuration and, when a URL is set, adds the endpoint
    /// to the app's host. Throws <see cref="ArgumentException"/> naming the setting and its source when the URL is bad.
    /// </summary>
    public static void AddTo(WorkerAppBuilder builder)
    {
        var options = Read(builder.Configuration);
        if (!options.Enabled)
        {
            return;
        }

        builder.Services.AddHostedService(services => new WorkerHttp(
            options.Url,
            () => services.GetRequiredService<WorkerAppBuilder.AppHolder>().App,
            services.GetRequiredService<ILoggerFactory>()));
    }

    /// <summary>
    /// The supervisor's check of its worker processes' <c>Worker:Http</c>: they all get the same settings, so a fixed port
    /// would be taken by the first and fail the others; port 0 gives each its own (each logs it). Throws
    /// <see cref="ArgumentException"/> naming the setting and its source.
    /// </summary>
    public static void CheckSupervised(IConfiguration configuration)
    {
        var options = Read(configuration);
        if (options.Enabled && new Uri(options.Url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal)).Port != 0)
        {
            var key = WorkerHttpOptions.Section + ":Url";
            throw new ArgumentException(
                $"setting {key} = '{options.Url}' (from {ConfigurationCheck.SourceOf(configuration, key)}) would give every worker process the same port; "
                + "use port 0 (each worker process logs the port it got)");
        }
    }

    /// <summary>Reads and checks <c>Worker:Http</c>.</summary>
    private static WorkerHttpOptions Read(IConfiguration configuration)
    {
        var options = ConfigurationCheck.Bind(configuration, WorkerHttpOptions.Section, new WorkerHttpOptions());
        if (options.Enabled && HttpUrl.Problem(options.Url) is { } problem)
        {
            var key = WorkerHttpOptions.Section + ":Url";
            throw new ArgumentException($"setting {key} = '{options.Url}' (from {ConfigurationCheck.SourceOf(configuration, key)}) {problem}");
        }

        return options;
    }

    /// <summary>Why the worker should not be counted on now (<c>/readyz</c>), or null when every service has a live link to a broker.</summary>
    internal static string? NotReady(WorkerEngine? engine)
    {
        if (engine is null)
        {
            return "not started";
        }

        var links = engine.Links;
        if (links.Count > 0 && links.All(l => l.State is SlotState.Draining or SlotState.Stopped))
        {
            return "stopping";
        }

        var unlinked = links.GroupBy(l => l.Service.Name, StringComparer.Ordinal)
            .Where(g => !g.Any(l => l.State is SlotState.Idle or SlotState.Busy))
            .Select(g => g.Key)
            .ToList();
        return unlinked.Count == 0 ? null : "no link to a broker for service " + string.Join(", ", unlinked);
    }

    /// <summary>Every route of the worker host's HTTP endpoint, one group per call.</summary>
    private static void MapRoutes(WebApplication web, Func<WorkerApp?> app)
    {
        HealthEndpoints.Map(web, () => NotReady(app()?.Engine));

        // The worker's figures are read as they are when collected: nothing to bring up to date first.
        MetricsEndpoint.Map(web, _ => Task.CompletedTask);
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _endpoint.StartAsync(cancellationToken).ConfigureAwait(false);
        Listening(_logger, string.Join(' ', _endpoint.Addresses));
    }

    public Task StopAsync(CancellationToken cancellationToken) => _endpoint.StopAsync(cancellationToken);

    public ValueTask DisposeAsync() => _endpoint.DisposeAsync();

    /// <summary>The HTTP endpoint as bound (a port 0 filled in); tests wait for this line.</summary>
    [LoggerMessage(EventId = 1110, Level = LogLevel.Information, Message = "Worker HTTP listening on {Addresses} (/metrics, /healthz, /readyz)")]
    private static partial void Listening(ILogger logger, string addresses);
}
