using System.Text.Json;
using System.Text.RegularExpressions;

namespace ZmqGame.Tests.Packaging;

/// <summary>
/// A Dockerfile of <c>deploy/</c>, read the way docker reads one: comments dropped, lines joined at a trailing
/// backslash, each instruction in its build stage. Only what the container tests check is interpreted (stages, WORKDIR,
/// COPY, RUN, ENV, EXPOSE, USER, HEALTHCHECK, ENTRYPOINT); an instruction of another kind is kept as text.
/// </summary>
internal sealed partial class ContainerFilesDockerfile
{
    private ContainerFilesDockerfile(string path, IReadOnlyList<Stage> stages)
    {
        Path = path;
        Stages = stages;
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>The build stages in order; the last one is the image.</summary>
    public IReadOnlyList<Stage> Stages { get; }

    /// <summary>The image's stage.</summary>
    public Stage Image => Stages[^1];

    /// <summary>Reads <paramref name="path"/>.</summary>
    public static ContainerFilesDockerfile Load(string path)
    {
        var stages = new List<Stage>();
        foreach (var line in LogicalLines(File.ReadAllLines(path)))
        {
            var space = line.IndexOfAny([' ', '\t']);
            var keyword = (space < 0 ? line : line[..space]).ToUpperInvariant();
            var rest = space < 0 ? string.Empty : line[(space + 1)..].Trim();
            if (keyword == "FROM")
            {
                var from = FromPattern().Match(rest);
                Assert.That(from.Success, $"{path}: FROM {rest} is not 'image [AS name]'");
                stages.Add(new Stage(from.Groups["image"].Value, from.Groups["name"].Success ? from.Groups["name"].Value : null));
                continue;
            }

            Assert.That(stages, Is.Not.Empty, $"{path}: {keyword} before any FROM");
            stages[^1].Instructions.Add(new Instruction(keyword, rest));
        }

        Assert.That(stages, Is.Not.Empty, $"{path} has no FROM");
        return new ContainerFilesDockerfile(path, stages);
    }

    /// <summary>The stage named <paramref name="name"/> (<c>FROM … AS name</c>).</summary>
    public Stage StageNamed(string name) => Stages.Single(s => s.Name == name);

    /// <summary>The instructions, one per logical line: comments and blank lines dropped, continuation lines joined.</summary>
    private static IEnumerable<string> LogicalLines(IEnumerable<string> lines)
    {
        var pending = string.Empty;
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            if (line.EndsWith('\\'))
            {
                pending += line[..^1] + " ";
                continue;
            }

            yield return pending + line;
            pending = string.Empty;
        }

        if (pending.Length > 0)
        {
            yield return pending.Trim();
        }
    }

    /// <summary>Splits the exec form <c>["a", "b"]</c> (JSON) or else the shell form at whitespace.</summary>
    private static string[] Words(string text) => text.StartsWith('[')
        ? JsonSerializer.Deserialize<string[]>(text)!
        : text.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);

    [GeneratedRegex(@"^(?<image>\S+)(\s+AS\s+(?<name>\S+))?$", RegexOptions.IgnoreCase)]
    private static partial Regex FromPattern();

    /// <summary>One instruction: its keyword in upper case and the rest of its line.</summary>
    internal sealed record Instruction(string Keyword, string Arguments);

    /// <summary>A <c>COPY</c>: its flags (<c>--from</c>, <c>--chown</c>, …), its sources and its destination.</summary>
    internal sealed record Copy(IReadOnlyDictionary<string, string> Flags, IReadOnlyList<string> Sources, string Destination)
    {
        /// <summary>The stage a <c>--from=stage</c> copy reads; null for the build context.</summary>
        public string? From => Flags.GetValueOrDefault("from");
    }

    /// <summary>A <c>HEALTHCHECK</c>: its options (<c>--interval</c>, …) and its command.</summary>
    internal sealed record Healthcheck(IReadOnlyDictionary<string, string> Options, IReadOnlyList<string> Command);

    /// <summary>One build stage: its base image, its name and its instructions.</summary>
    internal sealed class Stage(string image, string? name)
    {
        public string BaseImage { get; } = image;

        public string? Name { get; } = name;

        public List<Instruction> Instructions { get; } = [];

        /// <summary>The <c>ENV</c> variables of this stage (<c>KEY=value</c> pairs), in order, later ones winning.</summary>
        public IReadOnlyDictionary<string, string> Environment =>
            Instructions.Where(i => i.Keyword == "ENV")
                .SelectMany(i => Words(i.Arguments))
                .Select(pair => pair.Split('=', 2))
                .Aggregate(new Dictionary<string, string>(StringComparer.Ordinal), (all, pair) =>
                {
                    Assert.That(pair, Has.Length.EqualTo(2), "ENV takes KEY=value pairs");
                    all[pair[0]] = pair[1].Trim('"');
                    return all;
                });

        /// <summary>The ports of <c>EXPOSE</c>.</summary>
        public IReadOnlyList<int> ExposedPorts =>
            [.. Instructions.Where(i => i.Keyword == "EXPOSE").SelectMany(i => Words(i.Arguments)).Select(p => int.Parse(p.Split('/')[0], System.Globalization.CultureInfo.InvariantCulture))];

        /// <summary>The last <c>USER</c>, or null (root).</summary>
        public string? User => Instructions.LastOrDefault(i => i.Keyword == "USER")?.Arguments;

        /// <summary>The last <c>ENTRYPOINT</c> (exec form), or empty.</summary>
        public IReadOnlyList<string> EntryPoint => Instructions.LastOrDefault(i => i.Keyword == "ENTRYPOINT") is { } e ? Words(e.Arguments) : [];

        /// <summary>The last <c>HEALTHCHECK</c>, or null.</summary>
        public Healthcheck? Healthcheck
        {
            get
            {
                if (Instructions.LastOrDefault(i => i.Keyword == "HEALTHCHECK") is not { } check)
                {
                    return null;
                }

                var options = new Dictionary<string, string>(StringComparer.Ordinal);
                var rest = check.Arguments;
                while (rest.StartsWith("--", StringComparison.Ordinal))
                {
                    var end = rest.IndexOf(' ', StringComparison.Ordinal);
                    var pair = rest[2..end].Split('=', 2);
                    options[pair[0]] = pair[1];
                    rest = rest[end..].TrimStart();
                }

                Assert.That(rest, Does.StartWith("CMD "), "HEALTHCHECK [options] CMD command");
                return new Healthcheck(options, Words(rest["CMD ".Length..].Trim()));
            }
        }

        /// <summary>Reads a <c>COPY</c> instruction.</summary>
        public static Copy ParseCopy(Instruction copy)
        {
            var words = Words(copy.Arguments).ToList();
            var flags = new Dictionary<string, string>(StringComparer.Ordinal);
            while (words.Count > 0 && words[0].StartsWith("--", StringComparison.Ordinal))
            {
                var pair = words[0][2..].Split('=', 2);
                flags[pair[0]] = pair.Length == 2 ? pair[1] : "true";
                words.RemoveAt(0);
            }

            Assert.That(words, Has.Count.GreaterThanOrEqualTo(2), $"COPY {copy.Arguments}: sources and a destination");
            return new Copy(flags, words[..^1], words[^1]);
        }

        /// <summary>Splits a <c>RUN</c> command into words (shell form).</summary>
        public static IReadOnlyList<string> RunWords(Instruction run) => Words(run.Arguments);
    }
}
