using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace ZmqGame.Trigger;

/// <summary>
/// The tables of one <c>trigger top</c> refresh: the main counters and gauges, then one row per service (waiting
/// requests, workers, requests, replies, errors; <c>trigger stats</c> has the workers by state), each total
/// followed by its rate per second (the difference from the previous refresh over the seconds between them, one
/// decimal). Of a broker cluster, one pair of columns per broker (<c>b1</c>, <c>b2</c>, …) and one for the total, and
/// service rows per broker and total, as in <c>trigger stats</c>. A rate is <c>-</c> on the first refresh, for a gauge,
/// and where a total went down (a broker restarted).
/// </summary>
internal static class TopTables
{
    /// <summary>The counters shown, in order (docs/operations.md).</summary>
    public static readonly string[] Counters = ["requests", "replies", "timed_out", "busy", "worker_lost", "events", "events_handled"];

    /// <summary>The gauges shown after them.</summary>
    public static readonly string[] Gauges = ["workers", "sessions"];

    /// <summary>The services table's headers after SERVICE (and, in a cluster, BROKER).</summary>
    public static readonly string[] ServiceHeaders =
        [">WAITING", ">WORKERS", ">REQUESTS", ">REQ/S", ">REPLIES", ">REPL/S", ">ERRORS", ">ERR/S"];

    /// <summary>
    /// The tables for <paramref name="stats"/>; rates against <paramref name="previous"/>, taken
    /// <paramref name="seconds"/> earlier (both null on the first refresh).
    /// </summary>
    public static IReadOnlyList<IRenderable> Build(BrokerStats stats, BrokerStats? previous, double? seconds)
    {
        var columns = Columns(stats);
        var before = previous is null ? null : Columns(previous).ToDictionary(c => c.Key, c => c.Stats, StringComparer.Ordinal);
        BrokerStats? Before(Column c) => before?.GetValueOrDefault(c.Key);

        var counters = PlainConsole.Table(["COUNTER", .. columns.SelectMany(c => new[] { ">" + c.Label, ">/S" })]);
        foreach (var key in Counters)
        {
            PlainConsole.AddRow(counters, [key, .. columns.SelectMany(c => Pair(c.Stats.Counters.GetValueOrDefault(key), Before(c)?.Counters.GetValueOrDefault(key), seconds))]);
        }

        foreach (var key in Gauges)
        {
            PlainConsole.AddRow(counters, [key, .. columns.SelectMany(c => new[] { Number(c.Stats.Gauges.GetValueOrDefault(key)), "-" })]);
        }

        var cluster = stats.Brokers.Count > 0;
        var services = cluster ? PlainConsole.Table(["SERVICE", "BROKER", .. ServiceHeaders]) : PlainConsole.Table(["SERVICE", .. ServiceHeaders]);
        foreach (var name in columns.SelectMany(c => c.Stats.Services.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            foreach (var column in columns)
            {
                if (column.Stats.Services.TryGetValue(name, out var service))
                {
                    var cells = ServiceCells(service, Before(column)?.Services.GetValueOrDefault(name), seconds);
                    PlainConsole.AddRow(services, cluster ? [name, column.Label, .. cells] : [name, .. cells]);
                }
            }
        }

        if (services.Rows.Count == 0)
        {
            PlainConsole.AddRow(services, ["(none)"]);
        }

        var items = new List<IRenderable>();
        if (cluster)
        {
            var legend = columns.Where(c => c.Label != "total")
                .Select(c => $"{c.Label} = broker {c.Key}{(c.Key == stats.Broker ? " (answering)" : string.Empty)}");
            items.Add(new Text($"cluster of {stats.Brokers.Count} broker(s) that answered\n" + string.Join('\n', legend) + "\n\n"));
        }

        items.Add(Narrow(counters));
        items.Add(Narrow(services));
        return items;
    }

    /// <summary>One space of padding after each cell (the border adds one more): the services table fits 80 columns.</summary>
    private static Table Narrow(Table table)
    {
        foreach (var column in table.Columns)
        {
            column.Padding = new Padding(0, 0, 1, 0);
        }

        return table;
    }

    /// <summary>The rate per second of a counter, one decimal; <c>-</c> without a previous value or when it went down.</summary>
    public static string Rate(long now, long? before, double? seconds) =>
        before is { } b && seconds is > 0 && now >= b
            ? ((now - b) / seconds.Value).ToString("0.0", CultureInfo.InvariantCulture)
            : "-";

    private static string[] Pair(long now, long? before, double? seconds) => [Number(now), Rate(now, before, seconds)];

    private static IEnumerable<string> ServiceCells(ServiceStats s, ServiceStats? before, double? seconds)
    {
        var errors = s.Errors.Values.Sum();
        return
        [
            Number(s.Waiting), Number(s.Workers),
            .. Pair(s.Requests, before?.Requests, seconds),
            .. Pair(s.Replies, before?.Replies, seconds),
            .. Pair(errors, before?.Errors.Values.Sum(), seconds),
        ];
    }

    /// <summary>The value columns: the broker's alone, or each broker's of a cluster (keyed by id) and the total.</summary>
    private static List<Column> Columns(BrokerStats stats)
    {
        if (stats.Brokers.Count == 0)
        {
            return [new Column("value", string.Empty, stats)];
        }

        var columns = stats.Brokers.Select((b, i) => new Column("b" + (i + 1).ToString(CultureInfo.InvariantCulture), b.Key, b.Value)).ToList();
        if (stats.ClusterTotal is { } total)
        {
            columns.Add(new Column("total", "(total)", total));
        }

        return columns;
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private sealed record Column(string Label, string Key, BrokerStats Stats);
}
