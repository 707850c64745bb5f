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

    /// <summary>Stops the broker; with <c>Broker:LameDuck</c>, after its clients moved and its requests finished.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is not null && options.LameDuck)
        {
            try
            {
                await _server.RunLameDuckAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The host's shutdown timeout passed first: stop now.
            }
        }

        _server?.Dispose();
    }

    public void Dispose() => _server?.Dispose();
}
