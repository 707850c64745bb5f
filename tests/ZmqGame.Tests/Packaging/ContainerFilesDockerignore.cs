using System.Text;
using System.Text.RegularExpressions;

namespace ZmqGame.Tests.Packaging;

/// <summary>
/// The repository's <c>.dockerignore</c>, matched as docker matches it: a pattern is a path relative to the build
/// context (<c>*</c> and <c>?</c> within one path segment, <c>**</c> across segments), and a path is left out when the
/// pattern matches it or one of the folders it is in. Exceptions (<c>!pattern</c>) are not used, and refused.
/// </summary>
internal sealed class ContainerFilesDockerignore
{
    private readonly IReadOnlyList<Regex> _patterns;

    private ContainerFilesDockerignore(IReadOnlyList<Regex> patterns) => _patterns = patterns;

    /// <summary>Reads <paramref name="path"/>.</summary>
    public static ContainerFilesDockerignore Load(string path)
    {
        var patterns = new List<Regex>();
        foreach (var raw in File.ReadAllLines(path))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            Assert.That(line, Does.Not.StartWith("!"), $"{path}: exceptions are not checked by the container tests");
            patterns.Add(ToRegex(line.Trim('/')));
        }

        return new ContainerFilesDockerignore(patterns);
    }

    /// <summary>True when <paramref name="relativePath"/> (from the context's root, '/'-separated) is not sent to docker.</summary>
    public bool IsIgnored(string relativePath)
    {
        var segments = relativePath.Trim('/').Split('/');
        for (var length = 1; length <= segments.Length; length++)
        {
            var prefix = string.Join('/', segments[..length]);
            if (_patterns.Any(p => p.IsMatch(prefix)))
            {
                return true;
            }
        }

        return false;
    }

    private static Regex ToRegex(string pattern)
    {
        var regex = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*')
            {
                var slash = i + 2 < pattern.Length && pattern[i + 2] == '/';
                regex.Append(slash ? "(.*/)?" : ".*");
                i += slash ? 2 : 1;
            }
            else
            {
                regex.Append(c switch
                {
                    '*' => "[^/]*",
                    '?' => "[^/]",
                    _ => Regex.Escape(c.ToString()),
                });
            }
        }

        return new Regex(regex.Append('$').ToString(), RegexOptions.CultureInvariant);
    }
}
