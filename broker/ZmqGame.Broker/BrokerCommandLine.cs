using System.Globalization;
using Microsoft.Extensions.Configuration;
using ZmqGame.Hosting;
using ZmqGame.Protocol;

namespace ZmqGame.Broker;

/// <summary>
/// Maps the broker's command line onto the "Broker" configuration section, and refuses what it does not know: an
/// unknown option or a value that is not of the option's kind is an <see cref="ArgumentException"/> naming it (the
/// program prints it as one line and exits 2). A <c>--Section:Key value</c> option sets any configuration key.
/// </summary>
internal static class BrokerCommandLine
{
    private enum Kind
    {
        Text,
        Number,
        Duration,
        Flag,
    }

    private static readonly Dictionary<string, (string Key, Kind Kind)> Options = new(StringComparer.OrdinalIgnoreCase)
    {
        ["--frontend"] = ("Broker:Frontend", Kind.Text),
        ["--backend"] = ("Broker:Backend", Kind.Text),
        ["--control"] = ("Broker:Control", Kind.Text),
        ["--heartbeat-interval"] = ("Broker:HeartbeatInterval", Kind.Duration),
        ["--liveness"] = ("Broker:Liveness", Kind.Number),
        ["--request-timeout"] = ("Broker:RequestTimeout", Kind.Duration),
        ["--max-queued"] = ("Broker:MaxQueuedPerService", Kind.Number),
        ["--max-message-size"] = ("Broker:MaxMessageSize", Kind.Number),
        ["--session-timeout"] = ("Broker:SessionTimeout", Kind.Duration),
        ["--session-key-file"] = ("Broker:SessionKeyFile", Kind.Text),
        ["--event-timeout"] = ("Broker:EventTimeout", Kind.Duration),
        ["--server-secret-key"] = ("Broker:Security:ServerSecretKey", Kind.Text),
        ["--frontend-curve"] = ("Broker:Security:FrontendCurve", Kind.Flag),
        ["--session-rps"] = ("Broker:Limits:SessionRequestsPerSecond", Kind.Number),
        ["--session-burst"] = ("Broker:Limits:SessionRequestBurst", Kind.Number),
        ["--ip-connections-per-second"] = ("Broker:Limits:ConnectionsPerSecondPerIp", Kind.Number),
        ["--ip-max-connections"] = ("Broker:Limits:MaxConnectionsPerIp", Kind.Number),
        ["--cluster"] = ("Broker:Cluster:Nats", Kind.Text),
        ["--cluster-name"] = ("Broker:Cluster:Name", Kind.Text),
        ["--http"] = ("Broker:Http:Url", Kind.Text),
        ["--admin-token"] = ("Broker:Http:AdminToken", Kind.Text),
        ["--websocket"] = ("Broker:WebSocket", Kind.Text),
        ["--websocket-certificate"] = ("Broker:WebSocketCertificate", Kind.Text),
        [LogFormat.Option] = (LogFormat.Setting, Kind.Text),
    };

    /// <summary>Switch mappings for <c>AddCommandLine</c>: each option to its configuration key.</summary>
    public static Dictionary<string, string> Switches { get; } =
        Options.ToDictionary(o => o.Key, o => o.Value.Key, StringComparer.OrdinalIgnoreCase);

    /// <summary>True when the command line asks for usage (<c>--help</c> or <c>-h</c>) instead of a broker.</summary>
    public static bool IsHelp(string[] args) =>
        args.Any(a => a.Equals("--help", StringComparison.OrdinalIgnoreCase) || a.Equals("-h", StringComparison.Ordinal));

    /// <summary>
    /// Checks every option and value, and turns two leading positional endpoints (FRONTEND BACKEND) into
    /// --frontend/--backend. Throws <see cref="ArgumentException"/> with a one-line message naming what is wrong.
    /// </summary>
    public static string[] Normalize(string[] args)
    {
        var result = new List<string>();
        var positional = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith('-'))
            {
                positional.Add(arg);
                continue;
            }

            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            var name = eq > 0 ? arg[..eq] : arg;
            string value;
            if (eq > 0)
            {
                value = arg[(eq + 1)..];
            }
            else if (i + 1 < args.Length)
            {
                value = args[++i];
            }
            else
            {
                throw new ArgumentException($"{name} needs a value");
            }

            if (Options.TryGetValue(name, out var option))
            {
                Check(name, value, option.Kind);
            }
            else if (!(name.StartsWith("--", StringComparison.Ordinal) && name.Contains(':', StringComparison.Ordinal)))
            {
                throw new ArgumentException($"unknown option {name} (see --help)");
            }

            result.Add(name);
            result.Add(value);
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

    /// <summary>
    /// Checks the endpoints the broker is about to bind (<see cref="EndpointSyntax"/>). Throws
    /// <see cref="InvalidOperationException"/> with one line naming the setting, its value and where it came from.
    /// </summary>
    public static void CheckEndpoints(IConfiguration configuration, BrokerOptions options)
    {
        foreach (var (name, endpoint) in new[] { ("Frontend", options.Frontend), ("Backend", options.Backend), ("Control", options.Control) })
        {
            if (EndpointSyntax.Problem(endpoint, bind: true) is { } problem)
            {
                var key = BrokerOptions.Section + ":" + name;
                throw new InvalidOperationException($"setting {key} = '{endpoint}' (from {ConfigurationCheck.SourceOf(configuration, key)}) {problem}");
            }
        }

        if (options.WebSocketEnabled)
        {
            var key = BrokerOptions.Section + ":WebSocket";
            var url = WebSocket.WebSocketUrl.TryParse(options.WebSocket, out var wsProblem);
            if (url is null)
            {
                throw new InvalidOperationException($"setting {key} = '{options.WebSocket}' (from {ConfigurationCheck.SourceOf(configuration, key)}) {wsProblem}");
            }

            if (url.Secure && options.WebSocketCertificate.Length == 0)
            {
                throw new InvalidOperationException($"setting {key} = '{options.WebSocket}' (from {ConfigurationCheck.SourceOf(configuration, key)}) is wss:// and needs {BrokerOptions.Section}:WebSocketCertificate (--websocket-certificate)");
            }

            if (url.Secure && !File.Exists(options.WebSocketCertificate))
            {
                var certificateKey = BrokerOptions.Section + ":WebSocketCertificate";
                throw new InvalidOperationException($"setting {certificateKey} = '{options.WebSocketCertificate}' (from {ConfigurationCheck.SourceOf(configuration, certificateKey)}) names no file");
            }
        }

        if (options.Http.Enabled && Hosting.Http.HttpUrl.Problem(options.Http.Url) is { } httpProblem)
        {
            var key = BrokerOptions.Section + ":Http:Url";
            throw new InvalidOperationException($"setting {key} = '{options.Http.Url}' (from {ConfigurationCheck.SourceOf(configuration, key)}) {httpProblem}");
        }
    }

    private static void Check(string name, string value, Kind kind)
    {
        var ok = kind switch
        {
            Kind.Number => int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _),
            Kind.Duration => Durations.TryParse(value, out _),
            Kind.Flag => bool.TryParse(value, out _),
            _ => true,
        };
        if (!ok)
        {
            var expected = kind switch
            {
                Kind.Number => "a whole number",
                Kind.Duration => "a duration (" + Durations.Syntax + ")",
                _ => "true or false",
            };
            throw new ArgumentException($"{name}: '{value}' is not {expected}");
        }
    }
}
