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
          stats      print the broker's counters, services and workers as JSON

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
        for (var i = 1; i < args.Length; i++)
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

        switch (args[0])
        {
            case "stats":
                var reply = Ask(broker, "stats", timeout);
                if (reply is null)
                {
                    await stderr.WriteLineAsync($"error: no answer from a broker at {broker} within {timeout.TotalSeconds:0.#} s").ConfigureAwait(false);
                    return ExitNoBroker;
                }

                await stdout.WriteLineAsync(MessagePackSerializer.ConvertToJson(reply, Payload.Options)).ConfigureAwait(false);
                return ExitOk;
            default:
                await stderr.WriteLineAsync($"error: unknown command '{args[0]}'\n{Usage}").ConfigureAwait(false);
                return ExitUsage;
        }
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
