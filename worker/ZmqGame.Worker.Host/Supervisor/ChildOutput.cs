using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace ZmqGame.Worker.Host.Supervisor;

/// <summary>
/// Forwards one worker process's output into the supervisor's. The child logs in ZmqGame's format already (the same
/// build, settings and nlog.config), so each of its log lines goes to the supervisor's standard output as it is, only
/// prefixed <c>[child N] </c>, never stamped a second time; in JSON mode the line gets a <c>"child": N</c> field instead,
/// so that it stays one JSON object. Any other line (its standard error, a line the game code printed itself) is
/// logged by the supervisor, stamped once: event 1230, or 1231 (Warning) for standard error.
/// </summary>
internal sealed partial class ChildOutput(int child, ILogger logger, TextWriter output, bool json)
{
    private readonly string _prefix = string.Create(CultureInfo.InvariantCulture, $"[child {child}] ");
    private readonly string _field = string.Create(CultureInfo.InvariantCulture, $"{{\"child\":{child},");

    /// <summary>Forwards one line the child wrote to standard output (<paramref name="error"/>: standard error).</summary>
    public void Forward(string line, bool error)
    {
        if (error)
        {
            SupervisorLog.ChildError(logger, child, line);
        }
        else if (json && line.StartsWith("{\"time\":", StringComparison.Ordinal))
        {
            output.WriteLine(string.Concat(_field, line.AsSpan(1)));
        }
        else if (!json && (StampedLine().IsMatch(line) || (line.Length > 0 && char.IsWhiteSpace(line[0]))))
        {
            // A log line of the child, or a following line of its event (an exception's stack trace).
            output.WriteLine(_prefix + line);
        }
        else
        {
            SupervisorLog.ChildOutput(logger, child, line);
        }
    }

    // The start of a line in ZmqGame's text format (hosting/LogFormat.cs): the UTC time with milliseconds.
    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ")]
    private static partial Regex StampedLine();
}
