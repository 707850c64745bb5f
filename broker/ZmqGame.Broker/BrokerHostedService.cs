using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ZmqGame.Broker;

/// <summary>Runs a <see cref="BrokerHost"/> for the life of the generic host (stops on SIGTERM/Ctrl-C).</summary>
internal sealed class BrokerHostedService(BrokerOptions options, ILoggerFactory loggerFactory) : IHostedService, IDisposable
{
    private BrokerHost? _server;

    /// <summary>Binds the endpoints and starts serving; throws <see cref="BrokerBindException"/> when an endpoint cannot be bound.</summary>
    public void Bind()
    {
        if (_server is not null)
        {
            return;
        }

        var server = new BrokerHost(options, loggerFactory);
        try
        {
            server.Start();
        }
        catch
        {
            server.Dispose();
            throw;
        }

        _server = server;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Bind();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _server?.Dispose();
        return Task.CompletedTask;
    }

    public void Dispose() => _server?.Dispose();
}
