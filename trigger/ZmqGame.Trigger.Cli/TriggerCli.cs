using System.Globalization;
using MessagePack;
using NetMQ;
using Spectre.Console;
using ZmqGame.Protocol;

namespace ZmqGame.Trigger;

/// <summary>
/// The <c>trigger</c> command line, over <see cref="TriggerClient"/> (broker) and <see cref="ControlConnection"/>
/// (supervisor admin endpoint). Never reads stdin; every command ends within its timeout.
/// </summary>
internal static class TriggerCli
{
    public const int ExitOk = 0;
    public const int ExitUsage = 2;
    public const int ExitNoBroker = 3;
    public const int ExitFailed = 4;

    public const string DefaultBroker = "tcp://127.0.0.1:5557";
    public const string ServerKeyVariable = "ZMQGAME_SERVER_KEY";
    public const string SecretKeyVariable = "ZMQGAME_TRIGGER_SECRET_KEY";

    internal const string Usage = """
        usage: trigger <command> [options]

        commands (broker):
          push TARGET --cmd N (--json '{…}' | --raw-hex HEX)
                           push a message to sessions: prints "pushed cmd N to S sessions (D dropped)"
          broadcast --cmd N (--json '{…}' | --raw-hex HEX) [--logged-in] [--exclude ID…]
                           push to every session (--logged-in: every session bound to a user)
          kick TARGET --reason TEXT
                           close sessions (CLOSED kicked, with the reason): prints "kicked S sessions"
          group join|leave --group G TARGET
                           put sessions into a group or take them out
          worker --service S --cmd N (--json '{…}' | --raw-hex HEX)
                           send an event to one idle worker of a service (queued if none is idle;
                           exits 4 when no worker of the service is registered: the event waits for one)
          stats [--json [--pretty]]
                           the broker's counters, sessions, pushes, limits and services as tables (a
                           cluster's: per broker and in total); --json: the broker's answer as JSON
                           (every counter: docs/operations.md)
          top [--interval T] [--count N]
                           the stats again every interval (default 1s), with requests/s, replies/s and
                           errors/s next to the totals, until Ctrl+C, SIGTERM or stdin closes; a live
                           display on a terminal, one plain table per refresh otherwise
          workers status [--json [--pretty]]
                           one row per worker: service, state, version, uptime, requests served
                           (--json: the broker's answer as JSON)
          keygen           print a new CURVE key pair (Z85): the public key goes to the broker's
                           Security:TriggerKeys, the secret key to --secret-key

        TARGET: any of --user ID…, --session N…, --group G…, --all, --logged-in,
                minus --exclude ID… (users) and --exclude-session N…

        options:
          --broker EP      the broker's control endpoint, or a cluster's as a list a,b tried in order
                           (default tcp://127.0.0.1:5557)
          --timeout T      how long to wait for the answer (default 5s)
          --server-key K   the broker's CURVE public key, Z85 (or env ZMQGAME_SERVER_KEY)
          --secret-key K   this trigger's CURVE secret key, Z85 (or env ZMQGAME_TRIGGER_SECRET_KEY)

        commands (supervisor):
          workers status --supervisor EP [--json [--pretty]]
                           the worker processes of a supervisor (worker host --processes N --admin EP),
                           as a table (--json: as JSON)
          workers reload --supervisor EP
                           rolling reload: new worker processes from the build on disk, READY first,
                           then the old ones drained; waits for the outcome (--timeout, default 5m)

        A duration T is 250ms, 5s, 1m or hh:mm:ss. --help (-h) after a command prints that command's usage.

        exit codes: 0 ok, 2 usage (one line on stderr), 3 no answer from the broker or supervisor within the timeout,
                    4 the broker refused or failed the command (its error is printed), or the reload failed
        conventions of every ZmqGame program: README.md, "Command-line conventions"
        """;

    private static readonly MessagePackSerializerOptions JsonOptions =
        MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

    private static readonly string[] WorkersHeader = ["SERVICE", "WORKER", "STATE", "VERSION", ">UPTIME_S", ">SERVED"];

    private static readonly System.Text.Json.JsonSerializerOptions PrettyJson = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly string[] Common = ["--broker", "--timeout", "--server-key", "--secret-key"];
    private static readonly string[] JsonOptionNames = ["--json", "--pretty"];
    private static readonly string[] TargetOptions = ["--user", "--session", "--group", "--all", "--logged-in", "--exclude", "--exclude-session"];
    private static readonly string[] PayloadOptions = ["--cmd", "--json", "--raw-hex"];

    /// <summary>Runs the command line. <paramref name="environment"/> reads environment variables (default: the process's).</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, Func<string, string?>? environment = null, CancellationToken cancellationToken = default)
    {
        if (args.Length == 0 || args[0] is "help" || CliArguments.IsHelp(args[0]))
        {
            await (args.Length == 0 ? stderr : stdout).WriteLineAsync(Usage).ConfigureAwait(false);
            return args.Length == 0 ? ExitUsage : ExitOk;
        }

        CliArguments parsed;
        try
        {
            parsed = CliArguments.Parse(args);
        }
        catch (UsageException ex)
        {
            return await UsageErrorAsync(stderr, ex.Message).ConfigureAwait(false);
        }

        if (parsed.Help)
        {
            await stdout.WriteLineAsync(CommandUsage.For(parsed.Command) ?? Usage).ConfigureAwait(false);
            return ExitOk;
        }

        if (parsed.Command == "top")
        {
            return await TopAsync(parsed, stdout, stderr, environment, cancellationToken).ConfigureAwait(false);
        }

        // A list of brokers (a cluster's control endpoints): each in turn until one answers.
        var brokers = EndpointSyntax.Split(parsed.Optional("--broker") ?? DefaultBroker);
        parsed.LastBroker = brokers[^1];
        for (var next = 0; ; next++)
        {
            parsed.Broker = brokers[next];
            try
            {
                return await RunCommandAsync(parsed, stdout, stderr, environment, cancellationToken).ConfigureAwait(false);
            }
            catch (TriggerException ex) when (ex.Failure == TriggerFailure.NoAnswer && next < brokers.Count - 1)
            {
                await stderr.WriteLineAsync($"no answer from the broker at {parsed.Broker}; trying {brokers[next + 1]}").ConfigureAwait(false);
            }
        }
    }

    private static async Task<int> RunCommandAsync(
        CliArguments parsed, TextWriter stdout, TextWriter stderr, Func<string, string?>? environment, CancellationToken cancellationToken)
    {
        try
        {
            return parsed.Command switch
            {
                "push" => await PushAsync(parsed, broadcast: false, stdout, environment, cancellationToken).ConfigureAwait(false),
                "broadcast" => await PushAsync(parsed, broadcast: true, stdout, environment, cancellationToken).ConfigureAwait(false),
                "kick" => await KickAsync(parsed, stdout, environment, cancellationToken).ConfigureAwait(false),
                "group join" or "group leave" => await GroupAsync(parsed, stdout, environment, cancellationToken).ConfigureAwait(false),
                "worker" => await WorkerAsync(parsed, stdout, stderr, environment, cancellationToken).ConfigureAwait(false),
                "stats" => await StatsAsync(parsed, stdout, environment, cancellationToken).ConfigureAwait(false),
                "workers status" when !parsed.Has("--supervisor") => await StatsAsync(parsed, stdout, environment, cancellationToken).ConfigureAwait(false),
                "workers status" or "workers reload" => await SupervisorCommandAsync(parsed, stdout, stderr, cancellationToken).ConfigureAwait(false),
                "keygen" => await KeygenAsync(parsed, stdout).ConfigureAwait(false),
                _ => throw new UsageException($"unknown command '{parsed.Command}'"),
            };
        }
        catch (UsageException ex)
        {
            return await UsageErrorAsync(stderr, ex.Message).ConfigureAwait(false);
        }
        catch (ArgumentException ex)
        {
            // The library's validation: a bad key, a name too long, session id 0, …
            return await UsageErrorAsync(stderr, ex.Message).ConfigureAwait(false);
        }
        catch (TriggerException ex) when (ex.Failure != TriggerFailure.NoAnswer || parsed.Broker == parsed.LastBroker)
        {
            await stderr.WriteLineAsync("error: " + ex.Message).ConfigureAwait(false);
            return ex.Failure == TriggerFailure.NoAnswer ? ExitNoBroker : ExitFailed;
        }
    }

    /// <summary>
    /// Sends one control command without arguments and returns the result frame, or null when nothing answered in
    /// time (or the answer was an error). Kept for callers of the former trigger executable's helper.
    /// </summary>
    internal static byte[]? Ask(string endpoint, string command, TimeSpan timeout)
    {
        using var connection = new ControlConnection(endpoint);
        try
        {
            return connection.Ask(command, [], timeout);
        }
        catch (TriggerException)
        {
            return null;
        }
    }

    /// <summary>
    /// <see cref="WorkersTable"/>; in a broker cluster, one per broker (under <c>broker ID</c>, the answering one marked)
    /// and the cluster's count of workers.
    /// </summary>
    internal static string ClusterWorkersTables(BrokerStats stats)
    {
        if (stats.Brokers.Count == 0)
        {
            return WorkersTable(stats);
        }

        var text = new System.Text.StringBuilder();
        foreach (var (id, broker) in stats.Brokers)
        {
            text.Append("broker ").Append(id).AppendLine(id == stats.Broker ? " (answering)" : string.Empty);
            text.AppendLine(WorkersTable(broker)).AppendLine();
        }

        var total = stats.Brokers.Values.Sum(b => b.Services.Values.Sum(s => s.WorkerList.Count));
        return text.Append(CultureInfo.InvariantCulture, $"{total} worker(s) on {stats.Brokers.Count} broker(s)").ToString();
    }

    /// <summary>
    /// The stats' per-service worker lists as a table in the style of <see cref="SupervisorStatusTable"/>, then
    /// <c>N worker(s)</c>.
    /// </summary>
    internal static string WorkersTable(BrokerStats stats)
    {
        var table = PlainConsole.Table(WorkersHeader);
        var count = 0;
        foreach (var (name, service) in stats.Services.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            foreach (var worker in service.WorkerList)
            {
                PlainConsole.AddRow(table,
                [
                    name,
                    worker.Id,
                    worker.State,
                    worker.Version,
                    worker.UptimeSeconds.ToString("0", CultureInfo.InvariantCulture),
                    worker.Served.ToString(CultureInfo.InvariantCulture),
                ]);
                count++;
            }
        }

        return (count == 0 ? string.Empty : PlainConsole.Render([table]) + "\n") + count.ToString(CultureInfo.InvariantCulture) + " worker(s)";
    }

    private static async Task<int> PushAsync(CliArguments a, bool broadcast, TextWriter stdout, Func<string, string?>? environment, CancellationToken cancellationToken)
    {
        a.Allow(broadcast ? [.. Common, .. PayloadOptions, "--logged-in", "--exclude", "--exclude-session"] : [.. Common, .. PayloadOptions, .. TargetOptions]);
        var target = broadcast ? Except(a.Has("--logged-in") ? PushTarget.LoggedIn : PushTarget.All, a) : Target(a);
        var command = a.Int("--cmd");
        var payload = Payload(a);
        var trigger = await ConnectAsync(a, environment, cancellationToken).ConfigureAwait(false);
        await using (trigger.ConfigureAwait(false))
        {
            var result = await trigger.PushRawAsync(target, command, payload, cancellationToken).ConfigureAwait(false);
            await stdout.WriteLineAsync($"pushed cmd {command} to {Sessions(result.Sessions)} ({result.Dropped} dropped)").ConfigureAwait(false);
            return ExitOk;
        }
    }

    private static async Task<int> KickAsync(CliArguments a, TextWriter stdout, Func<string, string?>? environment, CancellationToken cancellationToken)
    {
        a.Allow([.. Common, .. TargetOptions, "--reason"]);
        var target = Target(a);
        var reason = a.Single("--reason");
        var trigger = await ConnectAsync(a, environment, cancellationToken).ConfigureAwait(false);
        await using (trigger.ConfigureAwait(false))
        {
            var result = await trigger.KickAsync(target, reason, cancellationToken).ConfigureAwait(false);
            await stdout.WriteLineAsync($"kicked {Sessions(result.Sessions)}").ConfigureAwait(false);
            return ExitOk;
        }
    }

    private static async Task<int> GroupAsync(CliArguments a, TextWriter stdout, Func<string, string?>? environment, CancellationToken cancellationToken)
    {
        a.Allow([.. Common, "--group", "--user", "--session", "--all", "--logged-in", "--exclude", "--exclude-session"]);
        var group = a.Single("--group");
        var target = Target(a, withGroups: false);
        var join = a.Command == "group join";
        var trigger = await ConnectAsync(a, environment, cancellationToken).ConfigureAwait(false);
        await using (trigger.ConfigureAwait(false))
        {
            var result = join
                ? await trigger.JoinGroupAsync(target, group, cancellationToken).ConfigureAwait(false)
                : await trigger.LeaveGroupAsync(target, group, cancellationToken).ConfigureAwait(false);
            await stdout.WriteLineAsync($"{Sessions(result.Sessions)} {(join ? "joined" : "left")} group {group}").ConfigureAwait(false);
            return ExitOk;
        }
    }

    private static async Task<int> WorkerAsync(CliArguments a, TextWriter stdout, TextWriter stderr, Func<string, string?>? environment, CancellationToken cancellationToken)
    {
        a.Allow([.. Common, .. PayloadOptions, "--service"]);
        var service = a.Single("--service");
        var command = a.Int("--cmd");
        var payload = Payload(a);
        var trigger = await ConnectAsync(a, environment, cancellationToken).ConfigureAwait(false);
        await using (trigger.ConfigureAwait(false))
        {
            var result = await trigger.SendToWorkerRawAsync(service, command, payload, cancellationToken).ConfigureAwait(false);
            if (result.Workers == 0)
            {
                // Queued, but nobody got it: a failed command, though a worker that registers in time still gets it.
                await stderr.WriteLineAsync($"error: no worker of service '{service}' is registered: the event waits for one").ConfigureAwait(false);
                return ExitFailed;
            }

            await stdout.WriteLineAsync($"sent to a worker of service {service}").ConfigureAwait(false);
            return ExitOk;
        }
    }

    private static async Task<int> TopAsync(CliArguments a, TextWriter stdout, TextWriter stderr, Func<string, string?>? environment, CancellationToken cancellationToken)
    {
        try
        {
            a.Allow([.. Common, "--interval", "--count"]);
            var interval = TopCommand.DefaultInterval;
            if (a.Optional("--interval") is { } text
                && (!Durations.TryParse(text, out interval) || interval < TimeSpan.FromMilliseconds(100) || interval > TimeSpan.FromDays(1)))
            {
                throw new UsageException($"--interval takes a duration ({Durations.Syntax}; at least 100ms, at most a day), not '{text}'");
            }

            int? count = a.Has("--count") ? a.Int("--count") : null;
            if (count is < 1)
            {
                throw new UsageException($"--count takes a number of refreshes (1 or more), not '{a.Optional("--count")}'");
            }

            // Keys are checked now, so that a bad one is a usage error rather than a refresh's error line.
            await ConnectAsync(a, environment, validateOnly: true, cancellationToken).ConfigureAwait(false);
            var brokers = EndpointSyntax.Split(a.Optional("--broker") ?? DefaultBroker);
            var top = new TopCommand(
                brokers,
                async (broker, ct) =>
                {
                    a.Broker = broker;
                    return (await ConnectAsync(a, environment, validateOnly: false, ct).ConfigureAwait(false))!;
                },
                interval,
                count,
                TimeProvider.System);
            var live = ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Ansi;
            return await top.RunAsync(stdout, stderr, live, cancellationToken).ConfigureAwait(false);
        }
        catch (UsageException ex)
        {
            return await UsageErrorAsync(stderr, ex.Message).ConfigureAwait(false);
        }
        catch (ArgumentException ex)
        {
            return await UsageErrorAsync(stderr, ex.Message).ConfigureAwait(false);
        }
    }

    private static async Task<int> StatsAsync(CliArguments a, TextWriter stdout, Func<string, string?>? environment, CancellationToken cancellationToken)
    {
        var stats = a.Command == "stats";
        a.Allow([.. Common, .. JsonOptionNames]);
        var json = JsonWanted(a);
        var trigger = await ConnectAsync(a, environment, cancellationToken).ConfigureAwait(false);
        await using (trigger.ConfigureAwait(false))
        {
            var report = await trigger.StatsAsync(cancellationToken).ConfigureAwait(false);
            var text = json ? Json(report.ToJson(), a.Has("--pretty")) : stats ? StatsTables.Render(report) : ClusterWorkersTables(report);
            await stdout.WriteLineAsync(text).ConfigureAwait(false);
            return ExitOk;
        }
    }

    /// <summary><c>--json</c> was given (and <c>--pretty</c> only with it).</summary>
    private static bool JsonWanted(CliArguments a) =>
        a.Has("--pretty") && !a.Has("--json") ? throw new UsageException("--pretty goes with --json") : a.Has("--json");

    /// <summary>The answer's JSON as the broker's report gives it, or indented with <paramref name="pretty"/>.</summary>
    private static string Json(string json, bool pretty)
    {
        if (!pretty)
        {
            return json;
        }

        using var document = System.Text.Json.JsonDocument.Parse(json);
        return System.Text.Json.JsonSerializer.Serialize(document.RootElement, PrettyJson);
    }

    private static async Task<int> KeygenAsync(CliArguments a, TextWriter stdout)
    {
        a.Allow([]);
        var pair = new NetMQCertificate();
        await stdout.WriteLineAsync($"public: {pair.PublicKeyZ85}{Environment.NewLine}secret: {pair.SecretKeyZ85}").ConfigureAwait(false);
        return ExitOk;
    }

    private static async Task<int> SupervisorCommandAsync(CliArguments a, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        a.Allow(a.Command == "workers status" ? ["--supervisor", "--timeout", "--broker", .. JsonOptionNames] : ["--supervisor", "--timeout", "--broker"]);
        var json = JsonWanted(a);
        if (!a.Has("--supervisor"))
        {
            throw new UsageException($"'{a.Command}' needs --supervisor EP (the supervisor's admin endpoint)");
        }

        var supervisor = a.Single("--supervisor");
        var timeout = a.Timeout ?? TimeSpan.FromSeconds(5);
        var reloadTimeout = a.Timeout ?? TimeSpan.FromSeconds(300);
        using var connection = new ControlConnection(supervisor);

        // Status first, with the short timeout: a missing supervisor is reported within seconds.
        byte[] status;
        try
        {
            status = await connection.AskAsync("status", [], timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TriggerException ex) when (ex.Failure == TriggerFailure.NoAnswer)
        {
            await stderr.WriteLineAsync($"error: no answer from a supervisor at {supervisor} within {timeout.TotalSeconds:0.###} s").ConfigureAwait(false);
            return ExitNoBroker;
        }

        if (a.Command == "workers status")
        {
            var answer = MessagePackSerializer.ConvertToJson(status, JsonOptions, cancellationToken);
            if (json)
            {
                await stdout.WriteLineAsync(Json(answer, a.Has("--pretty"))).ConfigureAwait(false);
                return ExitOk;
            }

            if (SupervisorStatusTable.Render(answer) is not { } table)
            {
                await stderr.WriteLineAsync($"error: the supervisor at {supervisor} answered status without a process list: {answer}").ConfigureAwait(false);
                return ExitFailed;
            }

            await stdout.WriteLineAsync(table).ConfigureAwait(false);
            return ExitOk;
        }

        await stdout.WriteLineAsync($"reloading the worker processes of {supervisor} …").ConfigureAwait(false);
        byte[] result;
        try
        {
            result = await connection.AskAsync("reload", [], reloadTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TriggerException ex) when (ex.Failure == TriggerFailure.NoAnswer)
        {
            await stderr.WriteLineAsync($"error: the supervisor at {supervisor} did not report the reload's outcome within {reloadTimeout.TotalSeconds:0.###} s; check its log").ConfigureAwait(false);
            return ExitNoBroker;
        }

        using var outcome = System.Text.Json.JsonDocument.Parse(MessagePackSerializer.ConvertToJson(result, JsonOptions, cancellationToken));
        var text = outcome.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object && outcome.RootElement.TryGetProperty("outcome", out var o) ? o.GetString() : null;
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

    private static async Task<TriggerClient> ConnectAsync(CliArguments a, Func<string, string?>? environment, CancellationToken cancellationToken) =>
        (await ConnectAsync(a, environment, validateOnly: false, cancellationToken).ConfigureAwait(false))!;

    /// <summary>A trigger client to <see cref="CliArguments.Broker"/> with the CURVE keys given; none with <paramref name="validateOnly"/> (the keys checked).</summary>
    private static async Task<TriggerClient?> ConnectAsync(CliArguments a, Func<string, string?>? environment, bool validateOnly, CancellationToken cancellationToken)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var serverKey = a.Optional("--server-key") ?? NullIfEmpty(environment(ServerKeyVariable));
        var secretKey = a.Optional("--secret-key") ?? NullIfEmpty(environment(SecretKeyVariable));
        if ((serverKey is null) != (secretKey is null))
        {
            throw new UsageException($"CURVE needs both keys: --server-key (or {ServerKeyVariable}) and --secret-key (or {SecretKeyVariable})");
        }

        var options = new TriggerOptions { ServerPublicKey = serverKey, SecretKey = secretKey };
        if (validateOnly)
        {
            options.Validate();
            return null;
        }

        if (a.Timeout is { } timeout)
        {
            options.Timeout = timeout;
        }

        return await TriggerClient.ConnectAsync(a.Broker ?? DefaultBroker, options, cancellationToken).ConfigureAwait(false);
    }

    private static PushTarget Target(CliArguments a, bool withGroups = true)
    {
        PushTarget? target = null;
        if (a.Has("--user"))
        {
            target = PushTarget.Users(a.Many("--user"));
        }

        if (a.Has("--session"))
        {
            target = Or(target, PushTarget.Sessions(a.Many("--session").Select(s => CliArguments.ULong("--session", s))));
        }

        if (withGroups && a.Has("--group"))
        {
            target = Or(target, PushTarget.Groups(a.Many("--group")));
        }

        if (a.Has("--all"))
        {
            target = Or(target, PushTarget.All);
        }

        if (a.Has("--logged-in"))
        {
            target = Or(target, PushTarget.LoggedIn);
        }

        return target is null
            ? throw new UsageException(withGroups
                ? "name whom: --user ID…, --session N…, --group G…, --all or --logged-in"
                : "name whom: --user ID…, --session N…, --all or --logged-in")
            : Except(target, a);
    }

    private static PushTarget Or(PushTarget? left, PushTarget right) => left is null ? right : left.Or(right);

    private static PushTarget Except(PushTarget target, CliArguments a)
    {
        if (a.Has("--exclude"))
        {
            target = target.Except(a.Many("--exclude"));
        }

        if (a.Has("--exclude-session"))
        {
            target = target.ExceptSessions(a.Many("--exclude-session").Select(s => CliArguments.ULong("--exclude-session", s)));
        }

        return target;
    }

    /// <summary>The payload frame: --json converted to MessagePack, or --raw-hex as is.</summary>
    private static byte[] Payload(CliArguments a)
    {
        if (a.Has("--json") == a.Has("--raw-hex"))
        {
            throw new UsageException("give the message as --json '{…}' or as --raw-hex HEX (one of them)");
        }

        if (a.Has("--raw-hex"))
        {
            try
            {
                return Convert.FromHexString(a.Single("--raw-hex"));
            }
            catch (FormatException)
            {
                throw new UsageException("--raw-hex takes an even number of hex digits");
            }
        }

        return JsonPayload.TryConvert(a.Single("--json"), out var payload, out var error) ? payload : throw new UsageException(error);
    }

    private static string Sessions(int count) => count == 1 ? "1 session" : $"{count} sessions";

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static async Task<int> UsageErrorAsync(TextWriter stderr, string message)
    {
        await stderr.WriteLineAsync($"error: {message} (see trigger --help)").ConfigureAwait(false);
        return ExitUsage;
    }
}

/// <summary>A command line that cannot be run: exit code 2 with the message on one line.</summary>
internal sealed class UsageException(string message) : Exception(message);
