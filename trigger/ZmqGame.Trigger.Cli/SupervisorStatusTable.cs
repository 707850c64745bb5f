using System.Globalization;
using System.Text.Json;

namespace ZmqGame.Trigger;

/// <summary>
/// <c>trigger workers status --supervisor</c> as a table: one row per process slot of the supervisor's answer
/// <c>{"processes": [{slot, state, pid, ready, started, recent_crashes}, …]}</c>. A field a supervisor does not send
/// is shown empty; an answer of another shape is an error (the caller prints it, <c>--json</c> shows it as is).
/// </summary>
internal static class SupervisorStatusTable
{
    /// <summary>The table's headers.</summary>
    public static readonly string[] Headers = [">SLOT", "STATE", ">PID", "READY", "STARTED", ">RECENT_CRASHES"];

    private static readonly string[] Fields = ["slot", "state", "pid", "ready", "started", "recent_crashes"];

    /// <summary>The table, or null when <paramref name="json"/> has no <c>processes</c> list.</summary>
    public static string? Render(string json)
    {
        using var document = JsonDocument.Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Object
            || !document.RootElement.TryGetProperty("processes", out var processes)
            || processes.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var table = PlainConsole.Table(Headers);
        var count = 0;
        foreach (var process in processes.EnumerateArray())
        {
            PlainConsole.AddRow(table, Fields.Select(f => process.ValueKind == JsonValueKind.Object && process.TryGetProperty(f, out var v) ? Cell(v) : string.Empty));
            count++;
        }

        var ready = processes.EnumerateArray().Count(p => p.ValueKind == JsonValueKind.Object && p.TryGetProperty("ready", out var r) && r.ValueKind == JsonValueKind.True);
        return PlainConsole.Render([table]) + "\n" + string.Create(CultureInfo.InvariantCulture, $"{count} worker process(es), {ready} ready");
    }

    private static string Cell(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString() ?? string.Empty,
        JsonValueKind.True => "yes",
        JsonValueKind.False => "no",
        JsonValueKind.Null => string.Empty,
        _ => value.GetRawText(),
    };
}
