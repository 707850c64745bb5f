using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ZmqGame.Hosting.Http;

/// <summary>
/// An HTTP endpoint of a ZmqGame process (the broker's or the worker host's <c>--http</c>): a Kestrel server with
/// minimal-API routes, built empty (no settings files, no environment, no signal handling of its own) so that the
/// process's own host decides its settings, its logging and when it stops. Compiled into the broker and the worker
/// host; each maps its own routes (<c>BrokerHttp</c>, <c>WorkerHttp</c>).
/// </summary>
internal sealed class HttpEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _url;
    private int _started;

    private HttpEndpoint(WebApplication app, string url)
    {
        _app = app;
        _url = url;
    }

    /// <summary>The addresses Kestrel listens on (a port 0 filled in), once started; empty before.</summary>
    public IReadOnlyList<string> Addresses { get; private set; } = [];

    /// <summary>
    /// Builds the endpoint: Kestrel on <paramref name="url"/> (see <see cref="HttpUrl"/>), logging to
    /// <paramref name="loggerFactory"/>; <paramref name="configureServices"/> adds services, <paramref name="map"/>
    /// maps the routes.
    /// </summary>
    public static HttpEndpoint Build(string url, ILoggerFactory loggerFactory, Action<IServiceCollection> configureServices, Action<WebApplication> map) =>
        Build(url, web => web.UseUrls(url), loggerFactory, configureServices, map);

    /// <summary>
    /// As <see cref="Build(string, ILoggerFactory, Action{IServiceCollection}, Action{WebApplication})"/>, listening where
    /// <paramref name="listen"/> says (an address and port, TLS with a certificate); <paramref name="shown"/> names it in errors.
    /// </summary>
    public static HttpEndpoint Build(string shown, Action<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions> listen, ILoggerFactory loggerFactory,
        Action<IServiceCollection> configureServices, Action<WebApplication> map) =>
        Build(shown, web => web.ConfigureKestrel(listen), loggerFactory, configureServices, map);

    private static HttpEndpoint Build(string url, Action<IWebHostBuilder> listen, ILoggerFactory loggerFactory, Action<IServiceCollection> configureServices, Action<WebApplication> map)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseKestrelCore();
        listen(builder.WebHost);
        builder.Services.AddRoutingCore();
        builder.Services.AddLogging(logging => logging
            .AddProvider(new ForwardTo(loggerFactory))

            // A failed start is the owner's one error line (StartAsync throws), not a stack trace from the inner host;
            // request-level chatter stays out of the process's log.
            .AddFilter("Microsoft.Extensions.Hosting", LogLevel.None)
            .AddFilter("Microsoft.AspNetCore", LogLevel.Warning)
            .AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning));

        // The process's host handles SIGTERM; this server stops when that host stops it, not on its own.
        builder.Services.AddSingleton<IHostLifetime, OwnedLifetime>();
        configureServices(builder.Services);
        var app = builder.Build();
        map(app);
        return new HttpEndpoint(app, url);
    }

    /// <summary>Starts listening; throws <see cref="IOException"/> naming the URL when it cannot be bound.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            return;
        }

        try
        {
            await _app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw new IOException($"cannot listen for HTTP on {_url}: {ex.InnerException?.Message ?? ex.Message}", ex);
        }

        Addresses = [.. _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? []];
    }

    /// <summary>Stops listening; requests in progress get <paramref name="cancellationToken"/>'s time to finish.</summary>
    public Task StopAsync(CancellationToken cancellationToken) =>
        Volatile.Read(ref _started) == 0 ? Task.CompletedTask : _app.StopAsync(cancellationToken);

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    /// <summary>Hands the server's log lines to the process's own logging (NLog).</summary>
    private sealed class ForwardTo(ILoggerFactory loggerFactory) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => loggerFactory.CreateLogger(categoryName);

        public void Dispose()
        {
            // The process owns its logger factory.
        }
    }

    /// <summary>A host lifetime that waits for nothing and listens to no signal: the owner starts and stops the server.</summary>
    private sealed class OwnedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
