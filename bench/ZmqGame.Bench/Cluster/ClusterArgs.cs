using System.Globalization;

namespace ZmqGame.Bench.Cluster;

/// <summary>The options of one <c>cluster</c> step: <c>--name value</c> pairs, each name at most once, every one used.</summary>
internal sealed class ClusterArgs
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public ClusterArgs(IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (!name.StartsWith('-') || i + 1 >= args.Count)
            {
                throw new ArgumentException(name.StartsWith('-') ? $"{name} needs a value" : $"unexpected argument '{name}'");
            }

            if (!_values.TryAdd(name, args[++i]))
            {
                throw new ArgumentException($"{name} given twice");
            }
        }
    }

    public string Text(string name) =>
        Optional(name) ?? throw new ArgumentException($"{name} is required");

    public string? Optional(string name)
    {
        _read.Add(name);
        return _values.TryGetValue(name, out var value) ? value : null;
    }

    public int Int(string name, int fallback, int min = 1) =>
        Optional(name) is not { } text ? fallback
        : int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min ? value
        : throw new ArgumentException($"{name} must be a whole number >= {min}, not '{text}'");

    public double Number(string name, double fallback) =>
        Optional(name) is not { } text ? fallback
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0 ? value
        : throw new ArgumentException($"{name} must be a number > 0, not '{text}'");

    /// <summary>A comma-separated list of endpoints (<see cref="Protocol.EndpointSyntax.Split"/>), checked.</summary>
    public IReadOnlyList<string> Endpoints(string name)
    {
        var text = Text(name);
        if (Protocol.EndpointSyntax.ListProblem(text) is { } problem)
        {
            throw new ArgumentException($"{name} '{text}' {problem}");
        }

        return Protocol.EndpointSyntax.Split(text);
    }

    /// <summary>Throws when an option was given that the step does not take.</summary>
    public void CheckAllRead()
    {
        foreach (var name in _values.Keys)
        {
            if (!_read.Contains(name))
            {
                throw new ArgumentException($"unknown option {name}");
            }
        }
    }
}
