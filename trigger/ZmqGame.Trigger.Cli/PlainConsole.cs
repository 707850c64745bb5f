using Spectre.Console;
using Spectre.Console.Rendering;

namespace ZmqGame.Trigger;

/// <summary>
/// Renders Spectre.Console tables to plain text: no ANSI codes, no colours, no border but a dashed line under the
/// headers, a fixed width, no trailing spaces. The output is
/// the same on a terminal, in a pipe and in CI (no TTY), so scripts and tests can read it.
/// </summary>
internal static class PlainConsole
{
    /// <summary>The width tables are laid out in; a longer cell wraps within its column.</summary>
    public const int Width = 140;

    /// <summary>The renderables, one after another, as text.</summary>
    public static string Render(IEnumerable<IRenderable> items)
    {
        using var text = new StringWriter(System.Globalization.CultureInfo.InvariantCulture) { NewLine = "\n" };
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(text),
        });
        console.Profile.Width = Width;
        console.Profile.Capabilities.Unicode = false;
        foreach (var item in items)
        {
            console.Write(item);
        }

        // The border's blank edges become trailing spaces and empty lines: trimmed, one empty line between tables.
        var lines = new List<string>();
        foreach (var line in text.ToString().Split('\n'))
        {
            var trimmed = line.TrimEnd();
            if (trimmed.Length > 0 || (lines.Count > 0 && lines[^1].Length > 0))
            {
                lines.Add(trimmed);
            }
        }

        return string.Join('\n', lines).TrimEnd();
    }

    /// <summary>A table with <paramref name="headers"/>; those starting with '&gt;' are right-aligned (numbers).</summary>
    public static Table Table(params string[] headers)
    {
        var table = new Table { Border = DashedHeader.Instance };
        foreach (var header in headers)
        {
            var right = header.StartsWith('>');
            var column = new TableColumn(new Text(right ? header[1..] : header));
            table.AddColumn(right ? column.RightAligned() : column);
        }

        return table;
    }

    /// <summary>Adds a row of plain cells (never read as Spectre markup).</summary>
    public static void AddRow(Table table, IEnumerable<string> cells) => table.AddRow(cells.Select(c => (IRenderable)new Text(c)).ToArray());
}

/// <summary>A table border of spaces but for a line of dashes under the headers: plain ASCII, easy to read and to parse.</summary>
internal sealed class DashedHeader : TableBorder
{
    public static readonly DashedHeader Instance = new();

    public override string GetPart(TableBorderPart part) =>
        part is TableBorderPart.HeaderBottomLeft or TableBorderPart.HeaderBottom or TableBorderPart.HeaderBottomSeparator or TableBorderPart.HeaderBottomRight
            ? "-"
            : " ";
}
