using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ZmqGame.Broker.Cluster;
using ZmqGame.Broker.Sessions;

namespace ZmqGame.Broker;

/// <summary>Runs a <see cref="BrokerHost"/> for the life of the generic host (stops on SIGTERM/Ctrl-C), and its cluster link when it has one.</summary>
internal sealed class BrokerHostedService(BrokerOptions options, ILoggerFactory loggerFactory) : IHostedService, IDisposable
{
    private volatile BrokerHost? _server;
    private volatile ClusterLink? _link;
    private volatile bool _stopping;

    /// <summary>The running broker once bound (null before); its state belongs to its loop thread.</summary>
    internal BrokerHost? Server => _server;

    /// <summary>The link to the broker cluster once joined; null before, and without a cluster.</summary>
    internal ClusterLink? Link => _link;

    /// <summary>Why the broker should not be sent work now (<c>/readyz</c>), or null when it is ready.</summary>
    internal string? NotReady() =>
        _stopping ? "stopping"
        : _server is null ? (options.Cluster.Enabled ? "joining the cluster: NATS not reached yet" : "endpoints not bound yet")
        : _link is { Connected: false } ? "the cluster link to NATS is down"
        : null;

    /// <summary>
    /// Joins the cluster when one is set (the session key comes from it), binds the endpoints and starts serving;
    /// throws <see cref="BrokerBindException"/> when an endpoint cannot be bound or NATS does not answer in time.
    /// </summary>
    public async Task BindAsync(CancellationToken cancellationToken = default)
    {
        if (_server is not null)
        {
            return;
        }

        ClusterLink? link = null;
        byte[]? key = null;
        BrokerHost? server = null;
        try
        {
            if (options.Cluster.Enabled)
            {
                link = new ClusterLink(options.Cluster, loggerFactory);
                var fileKey = options.SessionKeyFile.Length > 0 && File.Exists(options.SessionKeyFile)
                    ? SessionKey.Load(options.SessionKeyFile, loggerFactory.CreateLogger("ZmqGame.Broker"))
                    : null;
                key = await link.JoinAsync(fileKey, cancellationToken).ConfigureAwait(false);
            }

            server = new BrokerHost(options, loggerFactory, cluster: link, sessionKey: key);
            await server.StartAsync(cancellationToken).ConfigureAwait(false);
            if (link is not null)
            {
                await link.StartAsync(server.ClusterInbox!, server.PostToLoop).ConfigureAwait(false);
            }
        }
        catch
        {
            server?.Dispose();
            if (link is not null)
            {
                await link.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }

        _server = server;
        _link = link;
    }

    public Task StartAsync(CancellationToken cancellationToken) => BindAsync(cancellationToken);

    /// <summary>Stops the broker; with <c>Broker:LameDuck</c>, after its clients moved and its requests finished.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        if (_server is not null && options.IsLameDuck)
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

        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }

        if (_link is not null)
        {
            await _link.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Stops the broker if <see cref="StopAsync"/> did not (the cluster link, if any, is closed by <see cref="StopAsync"/>, or with the process).</summary>
    public void Dispose() => _server?.Dispose();
}
