using Microsoft.Extensions.Configuration;
using ZmqGame.Broker;
using ZmqGame.Protocol;
using ZmqGame.Worker;
using ZmqGame.Worker.Host;

namespace ZmqGame.Tests.Packaging;

/// <summary>
/// The settings a container's process runs with, read as the executable reads them: the published
/// <c>appsettings.json</c>, the environment (the image's ENV and the compose file's), and the command line through the
/// executable's own parser and checks. A rejected option or value throws the executable's exception (its error line).
/// </summary>
internal sealed record ContainerFilesSettings(
    IReadOnlyList<int> ReachablePorts,
    int? HttpPort,
    int? BackendPort,
    IReadOnlyList<string> ClusterUrls,
    IReadOnlyList<string> Brokers)
{
    /// <summary>The broker's entry point.</summary>
    public const string BrokerDll = "ZmqGame.Broker.dll";

    /// <summary>The worker host's entry point.</summary>
    public const string WorkerDll = "ZmqGame.Worker.Host.dll";

    /// <summary>
    /// The settings of <c>dotnet <paramref name="entryPoint"/> args…</c> started in <paramref name="appDirectory"/> with
    /// <paramref name="environment"/>.
    /// </summary>
    /// <exception cref="ArgumentException">An option, a value or a setting the executable refuses.</exception>
    /// <exception cref="InvalidOperationException">An option, a value or a setting the executable refuses.</exception>
    public static ContainerFilesSettings Read(string entryPoint, string appDirectory, IReadOnlyDictionary<string, string> environment, IReadOnlyList<string> args) =>
        entryPoint switch
        {
            BrokerDll => Broker(appDirectory, environment, args),
            WorkerDll => Worker(appDirectory, environment, args),
            _ => throw new AssertionException($"no command-line check for the entry point {entryPoint}"),
        };

    private static ContainerFilesSettings Broker(string appDirectory, IReadOnlyDictionary<string, string> environment, IReadOnlyList<string> args)
    {
        var commandLine = BrokerCommandLine.Normalize([.. args]);
        var configuration = Base(appDirectory, environment).AddCommandLine(commandLine, BrokerCommandLine.Switches).Build();
        var options = new BrokerOptions();
        configuration.GetSection(BrokerOptions.Section).Bind(options);
        options.Validate();
        BrokerCommandLine.CheckEndpoints(configuration, options);

        var ports = new[] { options.Frontend, options.Backend, options.Control }.Where(e => !IsLoopback(e)).Select(Port).ToList();
        var http = options.Http.Enabled ? PortOf(options.Http.Url) : (int?)null;
        if (http is { } port && !options.Http.Url.Contains("://127.", StringComparison.Ordinal))
        {
            ports.Add(port);
        }

        return new ContainerFilesSettings(ports, http, Port(options.Backend), EndpointSyntax.Split(options.Cluster.Nats), []);
    }

    private static ContainerFilesSettings Worker(string appDirectory, IReadOnlyDictionary<string, string> environment, IReadOnlyList<string> args)
    {
        HostCommandLine.Check([.. args]);
        var switches = new Dictionary<string, string>(WorkerAppBuilder.SwitchMappings, StringComparer.OrdinalIgnoreCase)
        {
            [HostCommandLine.ServiceSwitch] = HostCommandLine.ServicesKey,
            [HostCommandLine.HttpSwitch] = "Worker:Http:Url",
        };
        var configuration = Base(appDirectory, environment).AddCommandLine([.. args], switches).Build();
        var options = new WorkerOptions();
        configuration.GetSection(WorkerOptions.SectionName).Bind(options);
        options.Validate();
        HostCommandLine.CheckServices(configuration);

        var http = configuration["Worker:Http:Url"] is { Length: > 0 } url ? PortOf(url) : (int?)null;
        return new ContainerFilesSettings(http is { } port ? [port] : [], http, null, [], EndpointSyntax.Split(options.Broker));
    }

    /// <summary>appsettings.json, then the environment: a <c>ZMQGAME_</c> prefix dropped, <c>__</c> a section separator.</summary>
    private static ConfigurationBuilder Base(string appDirectory, IReadOnlyDictionary<string, string> environment)
    {
        var variables = environment.ToDictionary(
            v => (v.Key.StartsWith("ZMQGAME_", StringComparison.Ordinal) ? v.Key["ZMQGAME_".Length..] : v.Key).Replace("__", ":", StringComparison.Ordinal),
            v => (string?)v.Value);
        var builder = new ConfigurationBuilder();
        builder.SetBasePath(appDirectory).AddJsonFile("appsettings.json", optional: false).AddInMemoryCollection(variables);
        return builder;
    }

    private static bool IsLoopback(string endpoint) => endpoint.StartsWith("tcp://127.", StringComparison.Ordinal) || endpoint.StartsWith("tcp://localhost:", StringComparison.Ordinal);

    private static int Port(string endpoint) => int.Parse(endpoint[(endpoint.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);

    private static int PortOf(string url) => new Uri(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal)).Port;
}
