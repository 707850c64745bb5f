using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace ZmqGame.Tests.Packaging;

/// <summary>
/// The repository's <c>docker-compose.yml</c>: each service with what the container tests check (its build, command,
/// environment, published ports, healthcheck and the services it waits for).
/// </summary>
internal sealed class ContainerFilesCompose
{
    private ContainerFilesCompose(IReadOnlyDictionary<string, Service> services) => Services = services;

    /// <summary>The services by name.</summary>
    public IReadOnlyDictionary<string, Service> Services { get; }

    /// <summary>Reads <paramref name="path"/>.</summary>
    public static ContainerFilesCompose Load(string path)
    {
        var yaml = new YamlStream();
        using (var reader = File.OpenText(path))
        {
            yaml.Load(reader);
        }

        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        var services = new Dictionary<string, Service>(StringComparer.Ordinal);
        foreach (var (key, value) in (YamlMappingNode)root["services"])
        {
            var node = (YamlMappingNode)value;
            var name = ((YamlScalarNode)key).Value!;
            services[name] = new Service(
                name,
                Child(node, "image") is YamlScalarNode image ? image.Value : null,
                Build(node),
                Words(Child(node, "command")),
                Pairs(Child(node, "environment")),
                [.. Sequence(Child(node, "ports")).Select(Port.Parse)],
                Child(node, "healthcheck") is not null,
                DependsOn(Child(node, "depends_on")));
        }

        return new ContainerFilesCompose(services);
    }

    private static YamlNode? Child(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;

    private static IEnumerable<string> Sequence(YamlNode? node) =>
        node is YamlSequenceNode sequence ? sequence.Children.Select(c => ((YamlScalarNode)c).Value!) : [];

    private static string[] Words(YamlNode? node) => node switch
    {
        null => [],
        YamlScalarNode scalar => scalar.Value!.Split(' ', StringSplitOptions.RemoveEmptyEntries),
        _ => [.. Sequence(node)],
    };

    private static Dictionary<string, string> Pairs(YamlNode? node) => node switch
    {
        null => new Dictionary<string, string>(),
        YamlMappingNode map => map.Children.ToDictionary(p => ((YamlScalarNode)p.Key).Value!, p => ((YamlScalarNode)p.Value).Value ?? string.Empty, StringComparer.Ordinal),
        _ => Sequence(node).Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p.Length == 2 ? p[1] : string.Empty),
    };

    private static (string Context, string Dockerfile)? Build(YamlMappingNode service) => Child(service, "build") switch
    {
        null => null,
        YamlScalarNode context => (context.Value!, "Dockerfile"),
        YamlMappingNode build => (((YamlScalarNode)build["context"]).Value!,
            Child(build, "dockerfile") is YamlScalarNode file ? file.Value! : "Dockerfile"),
        _ => throw new InvalidDataException("build: a context, or context and dockerfile"),
    };

    private static Dictionary<string, string> DependsOn(YamlNode? node) => node switch
    {
        null => new Dictionary<string, string>(),
        YamlMappingNode map => map.Children.ToDictionary(
            p => ((YamlScalarNode)p.Key).Value!,
            p => p.Value is YamlMappingNode options && Child(options, "condition") is YamlScalarNode condition ? condition.Value! : "service_started"),
        _ => Sequence(node).ToDictionary(s => s, _ => "service_started"),
    };

    /// <summary>A published port: <c>[host_ip:]host_port:container_port</c>.</summary>
    internal sealed record Port(string? HostIp, int HostPort, int ContainerPort)
    {
        public static Port Parse(string text)
        {
            var parts = text.Split('/')[0].Split(':');
            int Number(string s) => int.Parse(s, CultureInfo.InvariantCulture);
            return parts.Length switch
            {
                3 => new Port(parts[0], Number(parts[1]), Number(parts[2])),
                2 => new Port(null, Number(parts[0]), Number(parts[1])),
                _ => throw new InvalidDataException($"port '{text}': give host_port:container_port"),
            };
        }
    }

    /// <summary>One service.</summary>
    internal sealed record Service(
        string Name,
        string? Image,
        (string Context, string Dockerfile)? Build,
        IReadOnlyList<string> Command,
        IReadOnlyDictionary<string, string> Environment,
        IReadOnlyList<Port> Ports,
        bool HasHealthcheck,
        IReadOnlyDictionary<string, string> DependsOn);
}
