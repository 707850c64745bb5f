using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace ZmqGame.Trigger;

/// <summary>
/// <c>trigger top</c>: the broker's stats again every interval, with per-second rates next to the totals. On a terminal
/// a Spectre.Console live display redraws in place; otherwise (a pipe, a file, CI) each refresh is printed as plain
/// tables under a line <c>refresh N at HH:mm:ss, S s since the last</c>. A broker that does not answer is an error line
/// and the next refresh tries again (the next broker of a list); only the cancellation token or <c>--count</c> ends it.
/// </summary>
internal sealed class TopCommand
{
    /// <summary>The interval when <c>--interval</c> is not given.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(1);

    private readonly IReadOnlyList<string> _brokers;
    private readonly Func<string, CancellationToken, Task<TriggerClient>> _connect;
    private readonly TimeSpan _interval;
    private readonly int? _count;
    private readonly TimeProvider _time;

    /// <param name="brokers">The control endpoints, tried in order, the next after one that does not answer.</param>
    /// <param name="connect">Opens a trigger client to one of them.</param>
    /// <param name="interval">The time between refreshes.</param>
    /// <param name="count">Stop after this many refreshes; null: until cancelled.</param>
    /// <param name="time">The clock for the interval and the rates.</param>
    public TopCommand(IReadOnlyList<string> brokers, Func<string, CancellationToken, Task<TriggerClient>> connect, TimeSpan interval, int? count, TimeProvider time)
    {
        _brokers = brokers;
        _connect = connect;
        _interval = interval;
        _count = count;
        _time = time;
    }

    /// <summary>
    /// Refreshes until <paramref name="cancellationToken"/> or the count; on a terminal (<paramref name="live"/>) in place,
    /// otherwise as text to <paramref name="stdout"/>. Errors go to <paramref name="stderr"/>.
    /// </summary>
    public async Task<int> RunAsync(TextWriter stdout, TextWriter stderr, bool live, CancellationToken cancellationToken)
    {
        if (!live)
        {
            await LoopAsync(
                async (items, line) => await stdout.WriteLineAsync(line + "\n" + PlainConsole.Render(items) + "\n").ConfigureAwait(false),
                stderr,
                cancellationToken).ConfigureAwait(false);
            return TriggerCli.ExitOk;
        }

        var console = AnsiConsole.Console;
        await console.Live(new Text("connecting to " + _brokers[0] + " …")).AutoClear(false).StartAsync(async context =>
            await LoopAsync(
                (items, line) =>
                {
                    context.UpdateTarget(new Rows([new Text(line + " (Ctrl+C ends)\n"), .. items]));
                    context.Refresh();
                    return Task.CompletedTask;
                },
                new LiveErrors(context),
                cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
        return TriggerCli.ExitOk;
    }

    private async Task LoopAsync(Func<IReadOnlyList<IRenderable>, string, Task> show, TextWriter errors, CancellationToken cancellationToken)
    {
        TriggerClient? client = null;
        var broker = 0;
        (BrokerStats Stats, long At)? previous = null;
        try
        {
            for (var refresh = 1; _count is not { } count || refresh <= count; refresh++)
            {
                if (refresh > 1)
                {
                    try
                    {
                        await Task.Delay(_interval, _time, cancellationToken).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }

                BrokerStats stats;
                try
                {
                    client ??= await _connect(_brokers[broker], cancellationToken).ConfigureAwait(false);
                    stats = await client.StatsAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                catch (TriggerException ex)
                {
                    var endpoint = _brokers[broker];
                    if (client is not null)
                    {
                        await client.DisposeAsync().ConfigureAwait(false);
                        client = null;
                    }

                    broker = (broker + 1) % _brokers.Count;
                    previous = null;
                    var where = ex.Message.Contains(endpoint, StringComparison.Ordinal) ? string.Empty : $" ({endpoint})";
                    var next = _brokers.Count == 1 ? "again" : _brokers[broker];
                    await errors.WriteLineAsync(string.Create(
                        CultureInfo.InvariantCulture,
                        $"error: refresh {refresh}: {ex.Message}{where}; trying {next} in {_interval.TotalSeconds:0.###} s")).ConfigureAwait(false);
                    continue;
                }

                var at = _time.GetTimestamp();
                var seconds = previous is { } p ? _time.GetElapsedTime(p.At, at).TotalSeconds : (double?)null;
                var line = string.Create(
                    CultureInfo.InvariantCulture,
                    $"refresh {refresh} at {_time.GetLocalNow():HH:mm:ss} from {_brokers[broker]}, {(seconds is { } s ? s.ToString("0.000", CultureInfo.InvariantCulture) + " s since the last" : "rates from the next refresh on")}");
                await show(TopTables.Build(stats, previous?.Stats, seconds), line).ConfigureAwait(false);
                previous = (stats, at);
            }
        }
        finally
        {
            if (client is not null)
            {
                await client.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Error lines shown in the live display, above the tables, until the next good refresh.</summary>
    private sealed class LiveErrors(LiveDisplayContext context) : StringWriter(CultureInfo.InvariantCulture)
    {
        public override Task WriteLineAsync(string? value)
        {
            context.UpdateTarget(new Text(value ?? string.Empty, new Style(Color.Red)));
            context.Refresh();
            return Task.CompletedTask;
        }
    }
}
