using System.Globalization;
using System.Text;
using MessagePack;
using NetMQ;
using NetMQ.Sockets;
using ZmqGame.Client.Cli.Load;
using ZmqGame.Protocol;

namespace ZmqGame.Client.Cli;

/// <summary>The `client` command line, callable in-process (tests pass their own writers).</summary>
internal static class CliApp
{
    public const int ExitOk = 0;
    public const int ExitInternal = 1;
    public const int ExitUsage = 2;
    public const int ExitNoBroker = 3;
    public const int ExitRequestFailed = 4;
    public const int ExitCancelled = 130;

    public const string DefaultBroker = "tcp://localhost:5555";

    public const string HelpText = """
        client: call a ZmqGame service through the broker.

        Usage:
          client call <service> <cmd> <json> [options]
              Sends <json> converted to MessagePack as command <cmd> (an integer) of <service> (ZGC01 protocol)
              and prints the reply converted to JSON on stdout.
          client mdp <service> [<frame>...] [options]
              Sends a stock Majordomo (MDPC01) request whose body frames are the given UTF-8 strings and prints
              each reply body frame as UTF-8 text, one per line. Handy for raw services such as echo.
          client session [--service <service>] [--session-service <service>] [--server-key <z85>] [options]
              Opens a session and runs interactively: each stdin line `<cmd> <json>` (to --service) or
              `<service> <cmd> <json>` is a request; replies, errors, server pushes and session changes are
              printed one line each as they happen. End of input closes the session.
              `client session --help` describes the lines.
          client load [options]
              Closed-loop load through the client library: C connections x D requests in flight against the echo
              route; prints requests/s, p50/p99/p999 latency, errors by status and the broker's CPU per 1M requests.
              `client load --help` lists its options.
          client --help, client <command> --help
              This usage, or a command's own (its options and an example).

        Options:
          --broker <endpoints>         broker frontend, or a cluster's as a list a,b (default tcp://localhost:5555)
          --timeout <duration>         request deadline (default 5s)
          --connect-timeout <duration> how long to wait for the broker to answer (default 5s)
          -v, --verbose                also log what the client library says at Information and Debug
          --log-format <text|json>     log lines as text (default) or JSON, one object per line
        Durations: 250ms, 5s, 1m, or hh:mm:ss. Logs go to stderr: warnings and errors only, unless -v.

        Exit codes:
          0  success (reply printed on stdout)
          1  unexpected internal error
          2  usage error (bad arguments or invalid JSON)
          3  no broker answered at the endpoint within the connect timeout
          4  the request failed: the error line on stderr names the status
             (no such route, handler failed, timeout, worker lost, busy, not authorised, bad request)
          130 interrupted (Ctrl-C)
        Conventions of every ZmqGame program: README.md, "Command-line conventions".
        """;

    private static readonly MessagePackSerializerOptions JsonOptions =
        MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

    /// <summary>Runs the CLI with an empty stdin (what `client session` reads).</summary>
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default) =>
        RunAsync(args, TextReader.Null, stdout, stderr, cancellationToken);

    public static async Task<int> RunAsync(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        if (args.Length > 0 && args[0] == "load")
        {
            return await LoadCommand.RunAsync(args[1..], stdout, stderr, cancellationToken).ConfigureAwait(false);
        }

        if (args.Length > 0 && args[0] == "session")
        {
            return await SessionCommand.RunAsync(args[1..], stdin, stdout, stderr, cancellationToken).ConfigureAwait(false);
        }

        Invocation invocation;
        try
        {
            invocation = Invocation.Parse(args);
        }
        catch (UsageException ex)
        {
            await stderr.WriteLineAsync($"error: {ex.Message} (see `client --help`)").ConfigureAwait(false);
            return ExitUsage;
        }

        if (invocation.Help)
        {
            var help = invocation.Verb switch
            {
                "call" => CommandHelp.Call,
                "mdp" => CommandHelp.Mdp,
                _ => HelpText,
            };
            await stdout.WriteLineAsync(help).ConfigureAwait(false);
            return ExitOk;
        }

        try
        {
            return invocation.Verb == "call"
                ? await CallAsync(invocation, stdout, stderr, cancellationToken).ConfigureAwait(false)
                : await MdpAsync(invocation, stdout, stderr, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await stderr.WriteLineAsync("error: interrupted").ConfigureAwait(false);
            return ExitCancelled;
        }
        catch (Exception ex)
        {
            await stderr.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            return ExitInternal;
        }
    }

    private static async Task<int> CallAsync(Invocation invocation, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        if (!JsonPayload.TryConvert(invocation.Json!, out var payload, out var error))
        {
            await stderr.WriteLineAsync("error: " + error).ConfigureAwait(false);
            return ExitUsage;
        }

        var (client, code) = await ConnectAsync(invocation, stderr, cancellationToken).ConfigureAwait(false);
        if (client is null)
        {
            return code;
        }

        await using (client.ConfigureAwait(false))
        {
            byte[] reply;
            try
            {
                reply = await client.RequestRawAsync(invocation.Service, invocation.Command, payload, invocation.Timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (ZmqGameRequestException ex)
            {
                await stderr.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
                return ExitRequestFailed;
            }

            string json;
            try
            {
                json = reply.Length == 0 ? "null" : MessagePackSerializer.ConvertToJson(reply, JsonOptions, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                await stderr.WriteLineAsync(
                    $"error: the reply is not MessagePack ({reply.Length} bytes): {ex.Message}").ConfigureAwait(false);
                return ExitRequestFailed;
            }

            await stdout.WriteLineAsync(json).ConfigureAwait(false);
            return ExitOk;
        }
    }

    /// <summary>
    /// Stock MDP request: a plain MDP/0.1 client request (<see cref="MdpClient"/>) on its own DEALER socket, nothing
    /// ZmqGame-specific before it, so it goes through any Majordomo broker. MDP has no heartbeat: a broker that is not
    /// there and one that does not answer look the same, a timeout (exit 4).
    /// </summary>
    private static async Task<int> MdpAsync(Invocation invocation, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var service = Encoding.UTF8.GetBytes(invocation.Service);
        var body = invocation.Frames.ConvertAll(Encoding.UTF8.GetBytes);
        var reply = await OwnThread.Run(
            "client mdp",
            () =>
            {
                // Connected to every broker of the list; the request goes to the first connection that is up.
                using var dealer = new DealerSocket();
                dealer.Options.Linger = TimeSpan.Zero;
                dealer.Options.DelayAttachOnConnect = true;
                foreach (var broker in EndpointSyntax.Split(invocation.Broker))
                {
                    dealer.Connect(broker);
                }

                var request = new List<byte[]>(MdpClient.BodyStart + body.Count);
                MdpClient.WriteMessage(new FrameListWriter(request), service, body);
                var deadline = DateTime.UtcNow + invocation.Timeout;
                if (!dealer.TrySendMultipartBytes(invocation.Timeout, request))
                {
                    return null;
                }

                NetMQMessage? message = null;
                while (!cancellationToken.IsCancellationRequested)
                {
                    var left = deadline - DateTime.UtcNow;
                    if (left <= TimeSpan.Zero)
                    {
                        return null;
                    }

                    // Whole milliseconds: NetMQ spins on a receive timeout between 0 and 1 ms.
                    var slice = TimeSpan.FromMilliseconds(Math.Ceiling(Math.Min(left.TotalMilliseconds, 100)));
                    if (dealer.TryReceiveMultipartMessage(slice, ref message))
                    {
                        return message;
                    }
                }

                cancellationToken.ThrowIfCancellationRequested();
                return null;
            }).ConfigureAwait(false);

        if (reply is null)
        {
            await stderr.WriteLineAsync(
                $"error: timeout (service {invocation.Service}): no MDP reply within {FormatDuration(invocation.Timeout)}").ConfigureAwait(false);
            return ExitRequestFailed;
        }

        var frames = reply.Select(frame => frame.ToByteArray()).ToList();
        if (!MdpClient.TryRead(new ListFrames(frames), out _))
        {
            await stderr.WriteLineAsync("error: the broker's reply is not an MDPC01 message").ConfigureAwait(false);
            return ExitRequestFailed;
        }

        for (var i = MdpClient.BodyStart; i < frames.Count; i++)
        {
            await stdout.WriteLineAsync(Encoding.UTF8.GetString(frames[i])).ConfigureAwait(false);
        }

        return ExitOk;
    }

    private static async Task<(ZmqGameClient? Client, int Code)> ConnectAsync(Invocation invocation, TextWriter stderr, CancellationToken cancellationToken)
    {
        var options = new ZmqGameClientOptions
        {
            ConnectTimeout = invocation.ConnectTimeout,
            RequestTimeout = invocation.Timeout,
            LoggerFactory = invocation.Logging.CreateFactory(stderr),
        };
        try
        {
            var client = await ZmqGameClient.ConnectAsync(invocation.Broker, options, cancellationToken).ConfigureAwait(false);
            invocation.Logging.Connected();
            return (client, ExitOk);
        }
        catch (Exception ex) when (StartFailure(ex, CancellationToken.None) is { } code)
        {
            return (null, await ReportStartFailureAsync(ex, code, stderr).ConfigureAwait(false));
        }
    }

    /// <summary>
    /// The exit code of an error while connecting or starting: no broker answered (3), a bad setting (2), interrupted
    /// through <paramref name="cancellationToken"/> (130); null for any other error.
    /// </summary>
    internal static int? StartFailure(Exception error, CancellationToken cancellationToken) => error switch
    {
        TimeoutException => ExitNoBroker,
        ArgumentException => ExitUsage,
        OperationCanceledException when cancellationToken.IsCancellationRequested => ExitCancelled,
        _ => null,
    };

    /// <summary>Writes the one-line message for a <see cref="StartFailure"/> and returns its exit code.</summary>
    internal static async Task<int> ReportStartFailureAsync(Exception error, int code, TextWriter stderr)
    {
        await stderr.WriteLineAsync(code == ExitCancelled ? "error: interrupted" : $"error: {error.Message}").ConfigureAwait(false);
        return code;
    }

    internal static string FormatDuration(TimeSpan value) =>
        value.TotalSeconds >= 1 ? $"{value.TotalSeconds:0.###}s" : $"{value.TotalMilliseconds:0}ms";

    /// <summary>Reads a duration option (see <see cref="Durations"/>), 1 ms to a day.</summary>
    internal static TimeSpan ParseDuration(string text, string option)
    {
        if (!Durations.TryParse(text, out var result))
        {
            throw new UsageException($"{option}: cannot read \"{text}\" as a duration ({Durations.Syntax})");
        }

        if (result < TimeSpan.FromMilliseconds(1) || result > TimeSpan.FromDays(1))
        {
            throw new UsageException($"{option}: {text} is out of range (1ms to 1 day)");
        }

        return result;
    }

    /// <summary>
    /// Reads an endpoint option (see <see cref="EndpointSyntax"/>): a broker to connect to, or a comma-separated list of
    /// the brokers of a cluster (<c>tcp://b1:5555,tcp://b2:5555</c>).
    /// </summary>
    internal static string ParseEndpoint(string text, string option) =>
        EndpointSyntax.ListProblem(text) is { } problem ? throw new UsageException($"{option}: '{text}' {problem}") : text;

    internal sealed class UsageException : Exception
    {
        public UsageException(string message)
            : base(message)
        {
        }
    }

    private sealed class Invocation
    {
        public bool Help { get; private set; }

        public string Verb { get; private set; } = string.Empty;

        public string Service { get; private set; } = string.Empty;

        public int Command { get; private set; }

        public string? Json { get; private set; }

        public List<string> Frames { get; } = [];

        public string Broker { get; private set; } = DefaultBroker;

        public TimeSpan Timeout { get; private set; } = TimeSpan.FromSeconds(5);

        public TimeSpan ConnectTimeout { get; private set; } = TimeSpan.FromSeconds(5);

        public CliLogging Logging { get; } = new();

        public static Invocation Parse(string[] args)
        {
            var result = new Invocation();
            if (HelpFor(args) is { } verb)
            {
                // Usage wins over whatever else is on the line, right or wrong: the command's own, or the program's.
                result.Help = true;
                result.Verb = verb;
                return result;
            }

            var positional = new List<string>();
            for (var i = 0; i < args.Length; i++)
            {
                var arg = args[i];
                if (result.Logging.Parse(args, ref i))
                {
                    continue;
                }

                switch (arg)
                {
                    case "--broker":
                        result.Broker = ParseEndpoint(Value(args, ref i), arg);
                        break;
                    case "--timeout":
                        result.Timeout = ParseDuration(Value(args, ref i), arg);
                        break;
                    case "--connect-timeout":
                        result.ConnectTimeout = ParseDuration(Value(args, ref i), arg);
                        break;
                    case "--":
                        positional.AddRange(args.Skip(i + 1));
                        i = args.Length;
                        break;
                    default:
                        if (arg.StartsWith("--", StringComparison.Ordinal))
                        {
                            throw new UsageException($"unknown option {arg}");
                        }

                        positional.Add(arg);
                        break;
                }
            }

            if (positional.Count == 0)
            {
                throw new UsageException("missing command (call, mdp, session or load)");
            }

            result.Verb = positional[0];
            switch (result.Verb)
            {
                case "call":
                    if (positional.Count != 4)
                    {
                        throw new UsageException("usage: client call <service> <cmd> <json> [--broker <endpoints>] [--timeout <duration>]");
                    }

                    if (!int.TryParse(positional[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var command))
                    {
                        throw new UsageException($"<cmd> must be an integer, got \"{positional[2]}\"");
                    }

                    result.Command = command;
                    result.Json = positional[3];
                    break;
                case "mdp":
                    if (positional.Count < 2)
                    {
                        throw new UsageException("usage: client mdp <service> [<frame>...] [--broker <endpoints>] [--timeout <duration>]");
                    }

                    result.Frames.AddRange(positional.Skip(2));
                    break;
                default:
                    throw new UsageException($"unknown command \"{result.Verb}\" (expected call, mdp, session or load)");
            }

            result.Service = positional[1];
            try
            {
                ValidateService(result.Service, allowMmi: result.Verb == "mdp");
            }
            catch (ArgumentException ex)
            {
                throw new UsageException($"<service>: {ex.Message.Split(" (Parameter", 2)[0]}");
            }

            return result;
        }

        /// <summary>
        /// When <paramref name="args"/> ask for usage (<c>--help</c> or <c>-h</c> before any <c>--</c>, or <c>help</c>
        /// as the first word): the command it is for (its first word, "" for none); otherwise null.
        /// </summary>
        private static string? HelpFor(string[] args)
        {
            if (args.Length > 0 && args[0] == "help")
            {
                return string.Empty;
            }

            var end = Array.IndexOf(args, "--");
            var options = end < 0 ? args : args[..end];
            if (!options.Any(a => a is "-h" or "--help"))
            {
                return null;
            }

            for (var i = 0; i < options.Length; i++)
            {
                if (options[i] is "--broker" or "--timeout" or "--connect-timeout" or "--log-format")
                {
                    i++;
                }
                else if (!options[i].StartsWith('-'))
                {
                    return options[i];
                }
            }

            return string.Empty;
        }

        private static void ValidateService(string service, bool allowMmi)
        {
            var length = Encoding.UTF8.GetByteCount(service);
            if (length == 0 || length > 255)
            {
                throw new ArgumentException("must be 1 to 255 UTF-8 bytes");
            }

            if (!allowMmi && service.StartsWith("mmi.", StringComparison.Ordinal))
            {
                throw new ArgumentException("mmi.* services are answered by the broker; use `client mdp`");
            }
        }

        private static string Value(string[] args, ref int i)
        {
            if (i + 1 >= args.Length)
            {
                throw new UsageException($"{args[i]} needs a value");
            }

            i++;
            return args[i];
        }
    }
}
