using MessagePack;
using NetMQ;
using NetMQ.Sockets;
using ZmqGame.Protocol;

namespace ZmqGame.Trigger;

/// <summary>
/// The trigger command line. Talks to the broker's control endpoint ([""]["ZGT01"][command]…).
/// Commands: <c>stats</c>.
/// </summary>
internal static class TriggerCli
{
    public const int ExitOk = 0;
    public const int ExitUsage = 2;
    public const int ExitNoBroker = 3;

    private const string Usage = """
        usage: trigger <command> [--broker tcp://127.0.0.1:5557] [--timeout 5]

        commands:
          stats            print the broker's counters, services and workers as JSON
          workers status   one line per worker: service, state, version, uptime, requests served

        exit codes: 0 ok, 2 usage, 3 no answer from the broker within the timeout
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            await stdout.WriteLineAsync(Usage).ConfigureAwait(false);
            return args.Length == 0 ? ExitUsage : ExitOk;
        }

        var broker = "tcp://127.0.0.1:5557";
        var timeout = TimeSpan.FromSeconds(5);
        var command = args[0];
        var first = 1;
        if (command == "workers" && args.Length > 1 && !args[1].StartsWith('-'))
        {
            command = "workers " + args[1];
            first = 2;
        }

        for (var i = first; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--broker" when i + 1 < args.Length:
                    broker = args[++i];
                    break;
                case "--timeout" when i + 1 < args.Length && double.TryParse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds > 0:
                    timeout = TimeSpan.FromSeconds(seconds);
                    i++;
                    break;
                default:
                    await stderr.WriteLineAsync($"error: unexpected argument '{args[i]}'\n{Usage}").ConfigureAwait(false);
                    return ExitUsage;
            }
        }

        if (command is not ("stats" or "workers status"))
        {
            await stderr.WriteLineAsync($"error: unknown command '{command}'\n{Usage}").ConfigureAwait(false);
            return ExitUsage;
        }

        var reply = Ask(broker, "stats", timeout);
        if (reply is null)
        {
            await stderr.WriteLineAsync($"error: no answer from a broker at {broker} within {timeout.TotalSeconds:0.#} s").ConfigureAwait(false);
            return ExitNoBroker;
        }

        var json = MessagePackSerializer.ConvertToJson(reply, Payload.Options);
        await stdout.WriteLineAsync(command == "stats" ? json : WorkersTable(json)).ConfigureAwait(false);
        return ExitOk;
    }

    private static readonly string[] WorkersHeader = ["SERVICE", "WORKER", "STATE", "VERSION", "UPTIME_S", "SERVED"];

    /// <summary>The stats' per-service worker lists as an aligned table.</summary>
    internal static string WorkersTable(string statsJson)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(statsJson);
        var rows = new List<string[]> { WorkersHeader };
        foreach (var service in doc.RootElement.GetProperty("services").EnumerateObject())
        {
            foreach (var worker in service.Value.GetProperty("worker_list").EnumerateArray())
            {
                rows.Add(
                [
                    service.Name,
                    worker.GetProperty("id").GetString() ?? string.Empty,
                    worker.GetProperty("state").GetString() ?? string.Empty,
                    worker.GetProperty("version").GetString() ?? string.Empty,
                    worker.GetProperty("uptime_s").ToString(),
                    worker.GetProperty("served").ToString(),
                ]);
            }
        }

        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        var lines = rows.Select(r => string.Join("  ", r.Select((cell, c) => cell.PadRight(widths[c]))).TrimEnd());
        return string.Join(Environment.NewLine, lines) + Environment.NewLine + $"{rows.Count - 1} worker(s)";
    }

    /// <summary>Sends one control command and returns the result frame, or null when no broker answers in time.</summary>
    internal static byte[]? Ask(string endpoint, string command, TimeSpan timeout)
    {
        using var socket = new DealerSocket();
        socket.Options.Linger = TimeSpan.Zero;
        socket.Connect(endpoint);
        if (!socket.TrySendMultipartBytes(timeout, [], "ZGT01"u8.ToArray(), System.Text.Encoding.UTF8.GetBytes(command)))
        {
            return null;
        }

        var frames = new List<byte[]>();
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            // Whole milliseconds: NetMQ spins on a receive timeout between 0 and 1 ms.
            var left = Math.Ceiling((deadline - DateTime.UtcNow).TotalMilliseconds);
            if (left <= 0 || !socket.TryReceiveMultipartBytes(TimeSpan.FromMilliseconds(left), ref frames))
            {
                return null;
            }

            if (frames.Count == 4 && frames[0].Length == 0 && frames[1].AsSpan().SequenceEqual("ZGT01"u8))
            {
                return frames[3];
            }
        }
    }
}
