using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace ZmqGame.Trigger;

/// <summary>
/// <c>trigger stats</c> as tables: the broker's counters and gauges by section (<see cref="StatsCatalog"/>), each with a
/// few words on what it counts, then one row per service. In a broker cluster, one value column per broker
/// (<c>b1</c>, <c>b2</c>, … named in a legend) and one for the cluster's total, and service rows per broker and total.
/// </summary>
internal static class StatsTables
{
    /// <summary>The headers of the services table (after SERVICE and, in a cluster, BROKER).</summary>
    public static readonly string[] ServiceHeaders =
        [">WAITING", ">WORKERS", ">IDLE", ">BUSY", ">PAUSED", ">DRAINING", ">REQUESTS", ">REPLIES", "ERRORS"];

    /// <summary>The whole report as text.</summary>
    public static string Render(BrokerStats stats)
    {
        var columns = Columns(stats);
        var items = new List<IRenderable>();
        if (stats.Brokers.Count > 0)
        {
            var legend = columns.Where(c => c.Label != "total")
                .Select(c => $"{c.Label} = broker {c.Id}{(c.Id == stats.Broker ? " (answering)" : string.Empty)}");
            items.Add(new Text($"cluster of {stats.Brokers.Count} broker(s) that answered\n" + string.Join('\n', legend) + "\n\n"));
        }

        var keys = columns.SelectMany(c => c.Stats.Counters.Keys.Concat(c.Stats.Gauges.Keys)).Distinct(StringComparer.Ordinal).ToList();
        foreach (var section in StatsCatalog.Sections)
        {
            var rows = keys.Where(k => StatsCatalog.SectionOf(k) == section)
                .OrderBy(StatsCatalog.OrderOf).ThenBy(k => k, StringComparer.Ordinal)
                .Where(k => !StatsCatalog.NonZeroOnly.Contains(section) || columns.Any(c => Value(c.Stats, k) != 0))
                .ToList();
            if (rows.Count == 0)
            {
                continue;
            }

            var table = PlainConsole.Table([section.ToUpperInvariant(), .. columns.Select(c => ">" + c.Label), "MEANING"]);
            foreach (var key in rows)
            {
                PlainConsole.AddRow(table, [key, .. columns.Select(c => Number(Value(c.Stats, key))), StatsCatalog.MeaningOf(key)]);
            }

            items.Add(table);
        }

        items.Add(ServicesTable(stats, columns));
        return PlainConsole.Render(items);
    }

    /// <summary>Errors by status as one cell: <c>handler_failed=1, timeout=2</c>, or <c>-</c>.</summary>
    public static string Errors(ServiceStats service) =>
        service.Errors.Count == 0 || service.Errors.Values.All(v => v == 0)
            ? "-"
            : string.Join(", ", service.Errors.Where(e => e.Value != 0).OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}={Number(e.Value)}"));

    private static Table ServicesTable(BrokerStats stats, IReadOnlyList<Column> columns)
    {
        var cluster = stats.Brokers.Count > 0;
        var table = cluster ? PlainConsole.Table(["SERVICE", "BROKER", .. ServiceHeaders]) : PlainConsole.Table(["SERVICE", .. ServiceHeaders]);
        var names = columns.SelectMany(c => c.Stats.Services.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        foreach (var name in names)
        {
            foreach (var column in columns)
            {
                if (column.Stats.Services.TryGetValue(name, out var service))
                {
                    PlainConsole.AddRow(table, cluster ? [name, column.Label, .. ServiceCells(service)] : [name, .. ServiceCells(service)]);
                }
            }
        }

        if (table.Rows.Count == 0)
        {
            PlainConsole.AddRow(table, ["(no service yet)"]);
        }

        return table;
    }

    private static IEnumerable<string> ServiceCells(ServiceStats s)
    {
        long InState(string state) => s.WorkerList.Count(w => w.State == state);
        return
        [
            Number(s.Waiting), Number(s.Workers), Number(InState("idle")), Number(InState("busy")), Number(InState("paused")),
            Number(InState("draining")), Number(s.Requests), Number(s.Replies), Errors(s),
        ];
    }

    /// <summary>The value columns: the broker's alone, or each broker's of a cluster and the total.</summary>
    private static List<Column> Columns(BrokerStats stats)
    {
        if (stats.Brokers.Count == 0)
        {
            return [new Column("value", string.Empty, stats)];
        }

        var columns = stats.Brokers.Select((b, i) => new Column("b" + (i + 1).ToString(CultureInfo.InvariantCulture), b.Key, b.Value)).ToList();
        if (stats.ClusterTotal is { } total)
        {
            columns.Add(new Column("total", string.Empty, total));
        }

        return columns;
    }

    private static long Value(BrokerStats stats, string key) =>
        stats.Counters.TryGetValue(key, out var counter) ? counter : stats.Gauges.GetValueOrDefault(key);

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private sealed record Column(string Label, string Id, BrokerStats Stats);
}
