using System.Globalization;
using System.Text;
using System.Threading.Channels;
using MessagePack;
using ZmqGame.Client.Internal;
using ZmqGame.Protocol;

namespace ZmqGame.Client.Cli;

/// <summary>
/// <c>client session ...</c>: one connection with a session, driven line by line from stdin; every event is one line
/// on stdout, flushed at once (see <see cref="HelpText"/>). Requests run concurrently with pushes arriving; a single
/// writer keeps lines whole.
/// </summary>
internal static class SessionCommand
{
    public const string HelpText = """
        client session: an interactive ZmqGame session, one line per event (for people and for scripts).

        Usage:
          client session [--broker <endpoints>] [--service <service>] [--session-service <service>]
                         [--server-key <z85>] [--timeout <duration>] [--connect-timeout <duration>]

        Connects with a session, then reads requests from stdin, one per line:
          <cmd> <json>             command <cmd> of the --service service
          <service> <cmd> <json>   command <cmd> of <service>
        and prints, one line each, as things happen:
          session <id> user=<user or -> groups=<a,b>   the session now (at start and after every change)
          reply <cmd> <json>                            a request's reply (MessagePack shown as JSON)
          error <cmd> <status>: <text>                  a request failed (no such route, timeout, ...)
          error - bad input: <text>                     a line that is not a request
          push <cmd> <json>                             a server push
          closed <reason>: <text>                       the broker ended the session (expired, kicked,
                                                        replaced); a new one, not logged in, follows
        End of input closes the session and exits 0 once the requests in flight have ended.

        Options:
          --broker <endpoints>         broker frontend, or a cluster's as a list a,b (default tcp://localhost:5555)
          --service <service>          service of `<cmd> <json>` lines
          --session-service <service>  service whose workers get this session's connect/close events
                               (default: the --service; "" for none)
          --server-key <z85>           the broker's CURVE public key: encrypt the connection (default plain)
          --timeout <duration>         deadline of each request (default 5s)
          --connect-timeout <duration> how long to wait for the broker to open the session (default 5s)
          -v, --verbose                also log what the client library says at Information and Debug (stderr)
          --log-format <text|json>     log lines as text (default) or JSON, one object per line

        Exit codes: 0 end of input, 2 usage error, 3 no broker answered, 130 interrupted.
        """;

    private static readonly MessagePackSerializerOptions JsonOptions =
        MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

    public static async Task<int> RunAsync(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        Settings settings;
        try
        {
            settings = Settings.Parse(args);
        }
        catch (CliApp.UsageException ex)
        {
            await stderr.WriteLineAsync($"error: {ex.Message} (see `client session --help`)").ConfigureAwait(false);
            return CliApp.ExitUsage;
        }

        if (settings.Help)
        {
            await stdout.WriteLineAsync(HelpText).ConfigureAwait(false);
            return CliApp.ExitOk;
        }

        var options = new ZmqGameClientOptions
        {
            ConnectTimeout = settings.ConnectTimeout,
            RequestTimeout = settings.Timeout,
            SessionService = settings.SessionService,
            ServerPublicKey = settings.ServerKey,
            LoggerFactory = settings.Logging.CreateFactory(stderr),
        };

        ZmqGameClient client;
        try
        {
            client = await ZmqGameClient.ConnectAsync(settings.Broker, options, cancellationToken).ConfigureAwait(false);
            settings.Logging.Connected();
        }
        catch (Exception ex) when (CliApp.StartFailure(ex, cancellationToken) is { } code)
        {
            return await CliApp.ReportStartFailureAsync(ex, code, stderr).ConfigureAwait(false);
        }

        var lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
        var writer = WriteLinesAsync(lines.Reader, stdout);
        using var stopPushes = new CancellationTokenSource();
        var exit = CliApp.ExitOk;
        var requests = new List<Task>();

        void Print(string line) => lines.Writer.TryWrite(line);
        void OnChanged(object? sender, SessionChangedEventArgs e) => Print(FormatSession(e.Session));
        void OnClosed(object? sender, SessionClosedEventArgs e) => Print($"closed {ClientCore.ReasonName(e.Reason)}: {e.Text}");

        await using (client.ConfigureAwait(false))
        {
            // Subscribed before the first line is printed, so no push or change after it is missed.
            var pushes = client.PushesAsync(stopPushes.Token);
            client.SessionChanged += OnChanged;
            client.SessionClosed += OnClosed;
            if (client.Session is { } current)
            {
                Print(FormatSession(current));
            }

            var pushReader = PrintPushesAsync(pushes, Print);
            try
            {
                // Console.In reads block the calling thread: read on a thread of our own (not the pool, whose threads
                // NetMQ needs), so Ctrl-C need not wait for a line.
                var input = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
                _ = OwnThread.Run("client session stdin", () => ReadLines(stdin, input.Writer, cancellationToken));
                await foreach (var line in input.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (!string.IsNullOrWhiteSpace(line))
                    {
                        requests.RemoveAll(t => t.IsCompleted);
                        requests.Add(RequestAsync(client, settings, line.Trim(), Print, cancellationToken));
                    }
                }

                await Task.WhenAll(requests).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                exit = CliApp.ExitCancelled;
            }

            // Our own close is not an event worth a line; the session ends with the process.
            client.SessionClosed -= OnClosed;
            client.SessionChanged -= OnChanged;
            await stopPushes.CancelAsync().ConfigureAwait(false);
            await pushReader.ConfigureAwait(false);
        }

        lines.Writer.TryComplete();
        await writer.ConfigureAwait(false);
        if (exit == CliApp.ExitCancelled)
        {
            await stderr.WriteLineAsync("error: interrupted").ConfigureAwait(false);
        }

        return exit;
    }

    internal static string FormatSession(ClientSession session) =>
        string.Create(CultureInfo.InvariantCulture, $"session {session.Id} user={session.UserId ?? "-"} groups={string.Join(",", session.Groups)}");

    private static async Task RequestAsync(ZmqGameClient client, Settings settings, string line, Action<string> print, CancellationToken cancellationToken)
    {
        string service;
        string cmdText;
        string json;
        var parts = line.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries);
        if (int.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
        {
            if (settings.Service is null)
            {
                print("error - bad input: no --service given; write <service> <cmd> <json>");
                return;
            }

            service = settings.Service;
            cmdText = parts[0];
            json = parts.Length > 1 ? parts[1] : string.Empty;
        }
        else
        {
            var rest = parts.Length > 1 ? parts[1].Split(' ', 2, StringSplitOptions.RemoveEmptyEntries) : [];
            service = parts[0];
            cmdText = rest.Length > 0 ? rest[0] : string.Empty;
            json = rest.Length > 1 ? rest[1] : string.Empty;
        }

        if (!int.TryParse(cmdText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var command) || json.Length == 0)
        {
            print("error - bad input: expected <cmd> <json> or <service> <cmd> <json>");
            return;
        }

        if (!JsonPayload.TryConvert(json, out var payload, out var error))
        {
            print("error - bad input: " + error);
            return;
        }

        try
        {
            var reply = await client.RequestRawAsync(service, command, payload, cancellationToken).ConfigureAwait(false);
            print(string.Create(CultureInfo.InvariantCulture, $"reply {command} {ToJson(reply)}"));
        }
        catch (ZmqGameRequestException ex)
        {
            print(string.Create(CultureInfo.InvariantCulture, $"error {command} {ZmqGameRequestException.StatusName(ex.Status)}: {OneLine(ex.ServerMessage)}"));
        }
        catch (ArgumentException ex)
        {
            print($"error - bad input: {OneLine(ex.Message.Split(" (Parameter", 2)[0])}");
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or ObjectDisposedException)
        {
            print(string.Create(CultureInfo.InvariantCulture, $"error {command} failed: {OneLine(ex.Message)}"));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Interrupted: the process is on its way out.
        }
    }

    private static async Task PrintPushesAsync(IAsyncEnumerable<ServerPush> pushes, Action<string> print)
    {
        try
        {
            await foreach (var push in pushes.ConfigureAwait(false))
            {
                print(string.Create(CultureInfo.InvariantCulture, $"push {push.Command} {ToJson(push.Payload)}"));
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>MessagePack as one line of JSON; "null" when empty.</summary>
    private static string ToJson(ReadOnlyMemory<byte> payload)
    {
        if (payload.IsEmpty)
        {
            return "null";
        }

        try
        {
            return OneLine(MessagePackSerializer.ConvertToJson(payload, JsonOptions));
        }
        catch (MessagePackSerializationException)
        {
            return string.Create(CultureInfo.InvariantCulture, $"\"<not MessagePack: {payload.Length} bytes>\"");
        }
    }

    private static string OneLine(string text) => text.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    /// <summary>Copies input lines to <paramref name="lines"/> until the input ends (or fails: then as if it ended).</summary>
    private static bool ReadLines(TextReader stdin, ChannelWriter<string> lines, CancellationToken cancellationToken)
    {
        try
        {
            // Through ReadLineAsync, which a reader may be built on alone; this thread waits for it.
            while (stdin.ReadLineAsync(cancellationToken).AsTask().GetAwaiter().GetResult() is { } line)
            {
                lines.TryWrite(line);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
        }

        return lines.TryComplete();
    }

    private static async Task WriteLinesAsync(ChannelReader<string> lines, TextWriter stdout)
    {
        await foreach (var line in lines.ReadAllAsync().ConfigureAwait(false))
        {
            await stdout.WriteLineAsync(line).ConfigureAwait(false);
            await stdout.FlushAsync().ConfigureAwait(false);
        }
    }

    private sealed class Settings
    {
        public bool Help { get; private set; }

        public string Broker { get; private set; } = CliApp.DefaultBroker;

        public string? Service { get; private set; }

        public string? SessionService { get; private set; }

        public string? ServerKey { get; private set; }

        public TimeSpan Timeout { get; private set; } = TimeSpan.FromSeconds(5);

        public TimeSpan ConnectTimeout { get; private set; } = TimeSpan.FromSeconds(5);

        public CliLogging Logging { get; } = new();

        public static Settings Parse(string[] args)
        {
            var result = new Settings();
            for (var i = 0; i < args.Length; i++)
            {
                var arg = args[i];
                if (result.Logging.Parse(args, ref i))
                {
                    continue;
                }

                switch (arg)
                {
                    case "-h" or "--help" or "help":
                        result.Help = true;
                        return result;
                    case "--broker":
                        result.Broker = CliApp.ParseEndpoint(Value(args, ref i), arg);
                        break;
                    case "--service":
                        result.Service = Value(args, ref i);
                        try
                        {
                            _ = ClientCore.ValidateService(result.Service);
                        }
                        catch (ArgumentException ex)
                        {
                            throw new CliApp.UsageException($"--service: {ex.Message.Split(" (Parameter", 2)[0]}");
                        }

                        break;
                    case "--session-service":
                        result.SessionService = Value(args, ref i);
                        break;
                    case "--server-key":
                        result.ServerKey = Value(args, ref i);
                        break;
                    case "--timeout":
                        result.Timeout = CliApp.ParseDuration(Value(args, ref i), arg);
                        break;
                    case "--connect-timeout":
                        result.ConnectTimeout = CliApp.ParseDuration(Value(args, ref i), arg);
                        break;
                    default:
                        throw new CliApp.UsageException(arg.StartsWith('-') ? $"unknown option {arg}" : $"unexpected argument \"{arg}\"");
                }
            }

            // Connect/close events go to the service the session talks to, unless told otherwise ("" = none).
            result.SessionService ??= result.Service;
            try
            {
                new ZmqGameClientOptions { SessionService = result.SessionService, ServerPublicKey = result.ServerKey }.Validate();
            }
            catch (ArgumentException ex)
            {
                throw new CliApp.UsageException(ex.Message.Split(" (Parameter", 2)[0]);
            }

            return result;
        }

        private static string Value(string[] args, ref int i)
        {
            if (i + 1 >= args.Length)
            {
                throw new CliApp.UsageException($"{args[i]} needs a value");
            }

            i++;
            return args[i];
        }
    }
}
