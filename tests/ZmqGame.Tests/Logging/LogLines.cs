using System.Text.Json;
using System.Text.RegularExpressions;
using ZmqGame.Tests.Broker;
using ZmqGame.Tests.Support;

namespace ZmqGame.Tests.Logging;

/// <summary>
/// ZmqGame's one log line as an operator sees it (docs/operations.md, "Logs"), written down here independently of the
/// code that renders it: <c>2026-12-06T10:04:05.123Z INFO  ZmqGame.Broker [1] Broker listening: …</c>.
/// </summary>
internal static class LogLines
{
    /// <summary>The timestamp: UTC, ISO-8601, milliseconds.</summary>
    public const string Stamp = @"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z";

    /// <summary>A whole text line: stamp, five-character level, logger, the event id when there is one, a message.</summary>
    public const string Text = "^" + Stamp + @" (TRACE|DEBUG|INFO |WARN |ERROR|FATAL) [A-Za-z][\w.]* (\[\d+\] )?\S";

    /// <summary>A child's line as the supervisor passes it through: its prefix, then the child's own line.</summary>
    public const string ChildText = @"^\[child \d+\] " + Stamp + @" (TRACE|DEBUG|INFO |WARN |ERROR|FATAL) [A-Za-z][\w.]* (\[\d+\] )?\S";

    /// <summary>The fields every JSON line has.</summary>
    public static readonly string[] JsonFields = ["time", "level", "logger", "message"];

    /// <summary>Asserts that every non-empty line of <paramref name="lines"/> matches one of <paramref name="patterns"/> and carries exactly one timestamp.</summary>
    public static void AssertEveryLine(IEnumerable<string> lines, string what, params string[] patterns)
    {
        var all = lines.Where(l => l.Length > 0).ToList();
        Assert.That(all, Is.Not.Empty, what + " printed nothing");
        foreach (var line in all)
        {
            Assert.That(patterns.Any(p => Regex.IsMatch(line, p)), Is.True, $"{what}: a line not in the format:\n{line}\nall:\n{string.Join('\n', all)}");
            Assert.That(Regex.Count(line, Stamp), Is.EqualTo(1), $"{what}: a line with {Regex.Count(line, Stamp)} timestamps:\n{line}");
        }
    }

    /// <summary>Parses every non-empty line as one JSON object with <see cref="JsonFields"/>; fails the test otherwise.</summary>
    public static List<JsonElement> ParseJson(IEnumerable<string> lines, string what)
    {
        var objects = new List<JsonElement>();
        foreach (var line in lines.Where(l => l.Length > 0))
        {
            JsonElement element;
            try
            {
                element = JsonDocument.Parse(line).RootElement.Clone();
            }
            catch (JsonException ex)
            {
                Assert.Fail($"{what}: a line that is not JSON ({ex.Message}):\n{line}");
                throw;
            }

            Assert.That(element.ValueKind, Is.EqualTo(JsonValueKind.Object), line);
            foreach (var field in JsonFields)
            {
                Assert.That(element.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String, Is.True, $"{what}: no string field '{field}' in\n{line}");
            }

            Assert.That(Regex.IsMatch(element.GetProperty("time").GetString()!, "^" + Stamp + "$"), Is.True, line);
            objects.Add(element);
        }

        Assert.That(objects, Is.Not.Empty, what + " printed nothing");
        return objects;
    }

    /// <summary>Starts a broker on free loopback ports and waits until it listens.</summary>
    public static async Task<(ProcessUnderTest Broker, string Frontend, string Backend, string Control)> StartBrokerAsync(params string[] more)
    {
        var broker = ProcessUnderTest.Start("ZmqGame.Broker", ["tcp://127.0.0.1:0", "tcp://127.0.0.1:0", "--control", "tcp://127.0.0.1:0", .. more]);
        var line = await broker.WaitForLineAsync(BrokerProcessTests.ListeningLine);
        return (broker, line.Groups[1].Value.TrimEnd(','), line.Groups[2].Value.TrimEnd(','), line.Groups[3].Value);
    }
}
