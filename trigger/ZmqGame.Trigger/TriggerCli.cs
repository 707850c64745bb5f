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
    public const int ExitFailed = 4;

    private const string Usage = """
        usage: trigger <command> [--broker tcp://127.0.0.1:5557] [--timeout 5]

        commands:
          stats            print the broker's counters, services and workers as JSON
          workers status   one line per worker: service, state, version, uptime, requests served
          workers status --supervisor EP
                           the worker processes of a supervisor (worker host --processes N --admin EP)
          workers reload --supervisor EP
                           rolling reload: new worker processes from the build on disk, READY first,
                           then the old ones drained; waits for the outcome (--timeout, default 300 s)

        exit codes: 0 ok, 2 usage, 3 no answer from the broker or supervisor within the timeout,
                    4 the reload failed (the old worker processes keep serving) or was refused
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            await stdout.WriteLineAsync(Usage).ConfigureAwait(false);
            return args.Length == 0 ? ExitUsage : ExitOk;
        }

        var broker = "tcp://127.0.0.1:5557";
        string? supervisor = null;
        TimeSpan? timeoutOption = null;
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
                case "--supervisor" when i + 1 < args.Length:
                    supervisor = args[++i];
                    break;
                case "--timeout" when i + 1 < args.Length && double.TryParse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds > 0:
                    timeoutOption = TimeSpan.FromSeconds(seconds);
                    i++;
                    break;
                default:
                    await stderr.WriteLineAsync($"error: unexpected argument '{args[i]}'\n{Usage}").ConfigureAwait(false);
                    return ExitUsage;
            }
        }

        var timeout = timeoutOption ?? TimeSpan.FromSeconds(5);
        if (supervisor is not null || command == "workers reload")
        {
            return await SupervisorCommandAsync(command, supervisor, timeout, timeoutOption ?? TimeSpan.FromSeconds(300), stdout, stderr).ConfigureAwait(false);
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

    private static async Task<int> SupervisorCommandAsync(string command, string? supervisor, TimeSpan timeout, TimeSpan reloadTimeout, TextWriter stdout, TextWriter stderr)
    {
        if (command is not ("workers status" or "workers reload") || supervisor is null)
        {
            await stderr.WriteLineAsync($"error: '{command}' with a supervisor takes 'workers status' or 'workers reload' and --supervisor EP\n{Usage}").ConfigureAwait(false);
            return ExitUsage;
        }

        // Status first, with the short timeout: a missing supervisor is reported within seconds.
        var status = Ask(supervisor, "status", timeout);
        if (status is null)
        {
            await stderr.WriteLineAsync($"error: no answer from a supervisor at {supervisor} within {timeout.TotalSeconds:0.#} s").ConfigureAwait(false);
            return ExitNoBroker;
        }

        if (command == "workers status")
        {
            await stdout.WriteLineAsync(MessagePackSerializer.ConvertToJson(status, Payload.Options)).ConfigureAwait(false);
            return ExitOk;
        }

        await stdout.WriteLineAsync($"reloading the worker processes of {supervisor} …").ConfigureAwait(false);
        var result = Ask(supervisor, "reload", reloadTimeout);
        if (result is null)
        {
            await stderr.WriteLineAsync($"error: the supervisor at {supervisor} did not report the reload's outcome within {reloadTimeout.TotalSeconds:0.#} s; check its log").ConfigureAwait(false);
            return ExitNoBroker;
        }

        using var outcome = System.Text.Json.JsonDocument.Parse(MessagePackSerializer.ConvertToJson(result, Payload.Options));
        var text = outcome.RootElement.TryGetProperty("outcome", out var o) ? o.GetString() : null;
        switch (text)
        {
            case "Completed":
                await stdout.WriteLineAsync("reload complete: every worker process runs the new build").ConfigureAwait(false);
                return ExitOk;
            case "Failed":
                await stderr.WriteLineAsync("error: reload failed: the new build did not become READY; the old worker processes keep serving (see the supervisor's log)").ConfigureAwait(false);
                return ExitFailed;
            default:
                await stderr.WriteLineAsync($"error: reload not done ({text ?? "no outcome"}): another reload is running or the supervisor is stopping").ConfigureAwait(false);
                return ExitFailed;
        }
    }

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
        if (!socket.TrySendMultipartBytes(timeout, [], Control.Header.ToArray(), System.Text.Encoding.UTF8.GetBytes(command)))
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

            if (Control.IsAnswer(frames))
            {
                return frames[3];
            }
        }
    }
}
