using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ZmqGame.Broker.Metrics;
using ZmqGame.Hosting.Http;

namespace ZmqGame.Broker.Http;

/// <summary>
/// The broker's HTTP endpoint (<c>--http</c>, <c>Broker:Http:Url</c>), a hosted service of the broker's generic host:
/// it starts before the broker binds (so <c>/readyz</c> says 503 while a clustered broker waits for NATS) and stops
/// after the broker (so a lame duck still answers). <see cref="MapRoutes"/> maps each group of routes with one call.
/// </summary>
internal sealed class BrokerHttp : IHostedService, IAsyncDisposable
{
    private readonly HttpEndpoint _endpoint;
    private readonly BrokerMetrics _metrics;
    private readonly ILogger _logger;

    public BrokerHttp(BrokerOptions options, BrokerHostedService broker, ILoggerFactory loggerFactory)
    {
        _logger = loggerFactory.CreateLogger("ZmqGame.Broker");
        _metrics = new BrokerMetrics(() => broker.Server, () => broker.Link, options.Cluster.Enabled, TimeProvider.System);
        _endpoint = HttpEndpoint.Build(
            options.Http.Url,
            loggerFactory,
            services => MetricsEndpoint.AddServices(services, BrokerMetrics.MeterName),
            app => MapRoutes(app, options, broker, _metrics, _logger));
    }

    /// <summary>The addresses listened on (port 0 filled in), once started.</summary>
    public IReadOnlyList<string> Addresses => _endpoint.Addresses;

    /// <summary>Every route of the broker's HTTP endpoint, one group per call.</summary>
    private static void MapRoutes(WebApplication app, BrokerOptions options, BrokerHostedService broker, BrokerMetrics metrics, ILogger logger)
    {
        HealthEndpoints.Map(app, broker.NotReady);
        MetricsEndpoint.Map(app, metrics.RefreshAsync);
        Admin.AdminConsole.Map(app, options, () => broker.Server, logger, TimeProvider.System);
    }

    /// <summary>Listens; throws <see cref="BrokerBindException"/> when the URL cannot be bound. Idempotent.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_endpoint.Addresses.Count > 0)
        {
            return;
        }

        try
        {
            await _endpoint.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw new BrokerBindException(ex.Message);
        }

        BrokerHttpLog.Listening(_logger, string.Join(' ', _endpoint.Addresses));
    }

    public Task StopAsync(CancellationToken cancellationToken) => _endpoint.StopAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _endpoint.DisposeAsync().ConfigureAwait(false);
        _metrics.Dispose();
    }
}
