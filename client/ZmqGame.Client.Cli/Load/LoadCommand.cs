using System.Globalization;

namespace ZmqGame.Client.Cli.Load;

/// <summary>
/// <c>client load ...</c> (and <c>ZmqGame.Bench load ...</c>): parses the options, runs <see cref="LoadEngine"/>, prints
/// the report. Exit codes as the rest of the CLI: 0 the run completed (errors are reported, not fatal), 2 usage,
/// 3 no broker answered, 130 interrupted before any result.
/// </summary>
internal static class LoadCommand
{
    public const string HelpText = """
        client load: closed-loop load through the ZmqGame client library.

        Usage:
          client load [options]

        Each of C clients (one connection each) keeps D requests in flight: a reply sends the next request.
        By default each request is the echo route of the sample worker host (service game, cmd 5) with a
        64-byte MessagePack bin payload, and each reply is checked against the request.

        Options:
          --broker <endpoints>         broker frontend, or a cluster's as a list a,b (default tcp://localhost:5555)
          -c, --clients <n>            connections (default 8)
          -d, --depth <n>              requests in flight per connection (default 1)
          -s, --size <bytes>           payload frame size (default 64)
          -t, --duration <duration>    measured window (default 5s)
          -w, --warmup <duration>      load before the window, not counted (default 1s; 0 for none)
          -n, --requests <n>           send exactly n requests in all and count them all (no warm-up, no window)
          --service <a,b,...>          services; client i calls the (i mod count)-th (default game)
          --cmd <n>                    command id (default 5, echo)
          --no-verify                  do not compare replies with requests (for routes other than echo)
          --shared-loops               the clients share a loop per core instead of a thread each (many clients)
          --timeout <duration>         deadline of each request (default 5s)
          --connect-timeout <duration> how long each connection waits for the broker (default 5s)
          --broker-pid <pid>           measure this broker process's CPU (/proc) over the window
          --worker-pid <pid>           measure this worker process's CPU over the window
          --format <text|kv|both>      human report, one key=value line for scripts, or both (default text)
        Durations: 250ms, 5s, 1m, or hh:mm:ss.

        Prints requests/s and p50/p99/p999 latency of the ok replies received inside the window, every request
        sent split into ok / mismatched / error status / client error / unanswered (whole run), and the
        broker's CPU seconds per 1M requests. Exit codes: 0 run completed, 2 usage, 3 no broker, 130 interrupted.
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        LoadOptions options;
        string format;
        try
        {
            (options, format) = Parse(args);
        }
        catch (CliApp.UsageException ex)
        {
            await stderr.WriteLineAsync($"error: {ex.Message} (see `client load --help`)").ConfigureAwait(false);
            return CliApp.ExitUsage;
        }

        if (options is null)
        {
            await stdout.WriteLineAsync(HelpText).ConfigureAwait(false);
            return CliApp.ExitOk;
        }

        LoadResult result;
        try
        {
            result = await new LoadEngine(options).RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CliApp.StartFailure(ex, cancellationToken) is { } code)
        {
            return await CliApp.ReportStartFailureAsync(ex, code, stderr).ConfigureAwait(false);
        }

        if (format is "text" or "both")
        {
            await stdout.WriteAsync(result.ToText()).ConfigureAwait(false);
        }

        if (format is "kv" or "both")
        {
            await stdout.WriteLineAsync(result.ToKeyValueLine()).ConfigureAwait(false);
        }

        if (result.Unanswered > 0)
        {
            await stderr.WriteLineAsync($"warning: {result.Unanswered} requests were never answered").ConfigureAwait(false);
        }

        return CliApp.ExitOk;
    }

    /// <summary>Options from the command line; (null, _) for --help.</summary>
    internal static (LoadOptions Options, string Format) Parse(string[] args)
    {
        var options = new LoadOptions();
        var format = "text";
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            switch (arg)
            {
                case "-h" or "--help" or "help":
                    return (null!, format);
                case "--broker":
                    options.Broker = CliApp.ParseEndpoint(Value(args, ref i), arg);
                    break;
                case "-c" or "--clients":
                    options.Clients = Int(args, ref i, 1, 10_000);
                    break;
                case "-d" or "--depth":
                    options.Depth = Int(args, ref i, 1, 10_000);
                    break;
                case "-s" or "--size":
                    options.PayloadSize = Int(args, ref i, EchoPayload.MinSize, 1 << 20);
                    break;
                case "-t" or "--duration":
                    options.Duration = CliApp.ParseDuration(Value(args, ref i), arg);
                    break;
                case "-w" or "--warmup":
                    var warmup = Value(args, ref i);
                    options.Warmup = warmup is "0" or "0s" or "0ms" ? TimeSpan.Zero : CliApp.ParseDuration(warmup, arg);
                    break;
                case "-n" or "--requests":
                    options.Requests = Int(args, ref i, 1, int.MaxValue);
                    break;
                case "--service":
                    options.Services = Value(args, ref i).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    break;
                case "--cmd" or "--command":
                    options.Command = Int(args, ref i, int.MinValue, int.MaxValue);
                    break;
                case "--no-verify":
                    options.Verify = false;
                    break;
                case "--shared-loops":
                    options.SharedLoops = true;
                    break;
                case "--timeout":
                    options.Timeout = CliApp.ParseDuration(Value(args, ref i), arg);
                    break;
                case "--connect-timeout":
                    options.ConnectTimeout = CliApp.ParseDuration(Value(args, ref i), arg);
                    break;
                case "--broker-pid":
                    options.BrokerPid = Int(args, ref i, 1, int.MaxValue);
                    break;
                case "--worker-pid":
                    options.WorkerPid = Int(args, ref i, 1, int.MaxValue);
                    break;
                case "--format":
                    format = Value(args, ref i);
                    if (format is not ("text" or "kv" or "both"))
                    {
                        throw new CliApp.UsageException($"--format: expected text, kv or both, got \"{format}\"");
                    }

                    break;
                default:
                    throw new CliApp.UsageException($"unknown option {arg}");
            }
        }

        try
        {
            options.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new CliApp.UsageException(ex.Message.Split(" (Parameter", 2)[0]);
        }

        return (options, format);
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

    private static int Int(string[] args, ref int i, int min, int max)
    {
        var name = args[i];
        var text = Value(args, ref i);
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new CliApp.UsageException($"{name}: expected an integer from {min} to {max}, got \"{text}\"");
        }

        return value;
    }
}
