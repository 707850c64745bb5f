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

/// <summary>Maps the broker's command line onto the "Broker" configuration section.</summary>
internal static class BrokerCommandLine
{
    public static Dictionary<string, string> Switches { get; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["--frontend"] = "Broker:Frontend",
        ["--backend"] = "Broker:Backend",
        ["--control"] = "Broker:Control",
        ["--heartbeat-interval"] = "Broker:HeartbeatInterval",
        ["--liveness"] = "Broker:Liveness",
        ["--request-timeout"] = "Broker:RequestTimeout",
        ["--max-queued"] = "Broker:MaxQueuedPerService",
        ["--max-message-size"] = "Broker:MaxMessageSize",
        ["--session-timeout"] = "Broker:SessionTimeout",
        ["--session-key-file"] = "Broker:SessionKeyFile",
        ["--event-timeout"] = "Broker:EventTimeout",
        ["--server-secret-key"] = "Broker:Security:ServerSecretKey",
        ["--frontend-curve"] = "Broker:Security:FrontendCurve",
    };

    /// <summary>Turns two leading positional endpoints (FRONTEND BACKEND) into --frontend/--backend.</summary>
    public static string[] Normalize(string[] args)
    {
        var result = new List<string>();
        var positional = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i].StartsWith('-'))
            {
                result.Add(args[i]);
                if (!args[i].Contains('=', StringComparison.Ordinal) && i + 1 < args.Length)
                {
                    result.Add(args[++i]);
                }
            }
            else
            {
                positional.Add(args[i]);
            }
        }

        if (positional.Count > 2)
        {
            throw new ArgumentException("at most two positional endpoints (FRONTEND BACKEND) are accepted");
        }

        if (positional.Count >= 1)
        {
            result.Add("--frontend");
            result.Add(positional[0]);
        }

        if (positional.Count == 2)
        {
            result.Add("--backend");
            result.Add(positional[1]);
        }

        return [.. result];
    }
}
