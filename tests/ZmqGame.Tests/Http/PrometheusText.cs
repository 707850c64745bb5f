using System.Globalization;
using System.Text.RegularExpressions;

namespace ZmqGame.Tests.Http;

/// <summary>
/// A scrape of <c>/metrics</c>, parsed from the Prometheus text format: each sample line is a name, its labels and a
/// value; <c># TYPE</c> lines give each metric's type. Lookups match a sample whose labels include the ones asked for.
/// </summary>
internal sealed partial class PrometheusText
{
    private readonly List<Sample> _samples = [];
    private readonly Dictionary<string, string> _types = new(StringComparer.Ordinal);

    private PrometheusText(string text)
    {
        Text = text;
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                _types[parts[2]] = parts[3];
                continue;
            }

            if (line.StartsWith('#'))
            {
                continue;
            }

            var match = SampleLine().Match(line);
            if (!match.Success)
            {
                throw new FormatException("not a Prometheus sample line: " + line);
            }

            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match label in Label().Matches(match.Groups["labels"].Value))
            {
                labels[label.Groups[1].Value] = label.Groups[2].Value.Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
            }

            var value = match.Groups["value"].Value switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                var v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
            _samples.Add(new Sample(match.Groups["name"].Value, labels, value));
        }
    }

    public string Text { get; }

    public static PrometheusText Parse(string text) => new(text);

    /// <summary>The metric's type from its <c># TYPE</c> line (counter, gauge, histogram), or null.</summary>
    public string? TypeOf(string metric) => _types.GetValueOrDefault(metric);

    /// <summary>The value of the one sample named <paramref name="name"/> whose labels include <paramref name="labels"/> (name=value pairs); fails when there is none or more than one.</summary>
    public double Value(string name, params string[] labels)
    {
        var found = Find(name, labels);
        Assert.That(found, Has.Count.EqualTo(1), $"samples of {name}{{{string.Join(',', labels)}}} in:\n{Text}");
        return found[0].Value;
    }

    /// <summary>Every sample named <paramref name="name"/> whose labels include <paramref name="labels"/>.</summary>
    public IReadOnlyList<Sample> Find(string name, params string[] labels)
    {
        var wanted = labels.Select(l => l.Split('=', 2)).ToList();
        return [.. _samples.Where(s => s.Name == name && wanted.All(w => s.Labels.TryGetValue(w[0], out var v) && v == w[1]))];
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)(\s+\d+)?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\.)*)""")]
    private static partial Regex Label();

    internal sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);
}
