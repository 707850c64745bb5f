using System.Globalization;
using ZmqGame.Protocol;

namespace ZmqGame.Trigger;

/// <summary>
/// A parsed <c>trigger</c> command line: the command words, then options. Options that name people or groups
/// (<c>--user</c>, <c>--session</c>, <c>--group</c>, <c>--exclude</c>, <c>--exclude-session</c>) take one or more
/// values and may repeat; <c>--all</c> and <c>--logged-in</c> take none, and so do <c>--json</c> and <c>--pretty</c> after
/// <c>stats</c> and <c>workers status</c> (print the answer as JSON); every other option takes exactly one.
/// </summary>
internal sealed class CliArguments
{
    private static readonly HashSet<string> ManyValued = ["--user", "--session", "--group", "--exclude", "--exclude-session"];
    private static readonly HashSet<string> Flags = ["--all", "--logged-in"];

    /// <summary>
    /// Commands that print a report (and <c>workers reload</c>, which refuses them): for them <c>--json</c> (print the
    /// answer as JSON) and <c>--pretty</c> are flags.
    /// </summary>
    private static readonly HashSet<string> Reports = ["stats", "workers status", "workers reload"];
    private static readonly HashSet<string> SingleValued =
        ["--broker", "--supervisor", "--timeout", "--server-key", "--secret-key", "--cmd", "--json", "--raw-hex", "--reason", "--service", "--interval", "--count"];

    private readonly Dictionary<string, List<string>> _options = new(StringComparer.Ordinal);

    private CliArguments(string command) => Command = command;

    /// <summary>"push", "group join", "workers status", …</summary>
    public string Command { get; }

    /// <summary>--timeout, when given.</summary>
    public TimeSpan? Timeout { get; private set; }

    /// <summary>
    /// The broker (control endpoint) the command goes to now: one of <c>--broker</c>'s comma-separated list, which the
    /// command line tries in order until one answers. Null: the default.
    /// </summary>
    public string? Broker { get; set; }

    /// <summary>The last broker of <c>--broker</c>'s list: no answer from it is the command's answer.</summary>
    public string? LastBroker { get; set; }

    /// <summary>--help or -h was given (where an option may stand): print the usage, run nothing.</summary>
    public bool Help { get; private init; }

    public static CliArguments Parse(string[] args)
    {
        var first = 1;
        var command = args[0];
        if (command is "workers" or "group")
        {
            if (args.Length >= 2 && IsHelp(args[1]))
            {
                return new CliArguments(command) { Help = true };
            }

            if (args.Length < 2 || args[1].StartsWith('-'))
            {
                throw new UsageException(command == "workers" ? "'workers' takes 'status' or 'reload'" : "'group' takes 'join' or 'leave'");
            }

            command += " " + args[1];
            first = 2;
        }

        if (args.Skip(first).Any(IsHelp))
        {
            // Usage wins over whatever else is on the line, right or wrong.
            return new CliArguments(command) { Help = true };
        }

        var parsed = new CliArguments(command);
        for (var i = first; i < args.Length; i++)
        {
            var name = args[i];
            if (Flags.Contains(name) || (Reports.Contains(command) && name is "--json" or "--pretty"))
            {
                parsed.Add(name, null);
            }
            else if (SingleValued.Contains(name))
            {
                if (i + 1 >= args.Length)
                {
                    throw new UsageException($"{name} needs a value");
                }

                if (parsed._options.ContainsKey(name))
                {
                    throw new UsageException($"{name} given twice");
                }

                parsed.Add(name, args[++i]);
            }
            else if (ManyValued.Contains(name))
            {
                var count = 0;
                while (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    parsed.Add(name, args[++i]);
                    count++;
                }

                if (count == 0)
                {
                    throw new UsageException($"{name} needs at least one value");
                }
            }
            else
            {
                throw new UsageException(name.StartsWith('-') ? $"unknown option {name}" : $"unexpected argument '{name}'");
            }
        }

        if (parsed.Optional("--timeout") is { } timeout)
        {
            if (!Durations.TryParse(timeout, out var value) || value <= TimeSpan.Zero || value > TimeSpan.FromDays(1))
            {
                throw new UsageException($"--timeout takes a duration ({Durations.Syntax}; more than 0, at most a day), not '{timeout}'");
            }

            parsed.Timeout = value;
        }

        if (parsed.Optional("--supervisor") is { } supervisor && EndpointSyntax.Problem(supervisor, bind: false) is { } notSupervisor)
        {
            throw new UsageException($"--supervisor: '{supervisor}' {notSupervisor}");
        }

        if (parsed.Optional("--broker") is { } brokers && EndpointSyntax.ListProblem(brokers) is { } notBrokers)
        {
            throw new UsageException($"--broker: '{brokers}' {notBrokers}");
        }

        return parsed;
    }

    /// <summary>True for <c>--help</c> and <c>-h</c>.</summary>
    public static bool IsHelp(string arg) => arg is "--help" or "-h";

    /// <summary>Fails when an option outside <paramref name="allowed"/> was given.</summary>
    public void Allow(IReadOnlyCollection<string> allowed)
    {
        foreach (var name in _options.Keys)
        {
            if (!allowed.Contains(name))
            {
                throw new UsageException($"'{Command}' does not take {name}");
            }
        }
    }

    public bool Has(string name) => _options.ContainsKey(name);

    public string? Optional(string name) => _options.TryGetValue(name, out var values) ? values[0] : null;

    public string Single(string name) =>
        Optional(name) ?? throw new UsageException($"'{Command}' needs {name}");

    public IReadOnlyList<string> Many(string name) => _options.TryGetValue(name, out var values) ? values : [];

    public int Int(string name)
    {
        var text = Single(name);
        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new UsageException($"{name} takes a 32-bit integer, not '{text}'");
    }

    public static ulong ULong(string name, string text) =>
        ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value != 0
            ? value
            : throw new UsageException($"{name} takes session ids (positive integers), not '{text}'");

    private void Add(string name, string? value)
    {
        if (!_options.TryGetValue(name, out var values))
        {
            _options[name] = values = [];
        }

        if (value is not null)
        {
            values.Add(value);
        }
    }
}
