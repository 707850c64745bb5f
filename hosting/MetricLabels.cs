using ZmqGame.Protocol;

namespace ZmqGame.Hosting;

/// <summary>
/// Label values of the <c>zmqgame_*</c> metrics that the broker and the worker share (compiled into both): a request's
/// status in snake case, as <c>status="handler_failed"</c>.
/// </summary>
internal static class MetricLabels
{
    private static readonly string[] StatusNames = BuildStatusNames();

    /// <summary>The label value of <paramref name="status"/>: <c>ok</c>, <c>no_such_route</c>, <c>handler_failed</c>, …</summary>
    public static string Of(Status status) =>
        (int)status < StatusNames.Length ? StatusNames[(int)status] : ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string[] BuildStatusNames()
    {
        var names = new string[(int)Enum.GetValues<Status>().Max() + 1];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = Enum.IsDefined((Status)i) ? SnakeCase(((Status)i).ToString()) : i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return names;
    }

    private static string SnakeCase(string name)
    {
        var text = new System.Text.StringBuilder(name.Length + 4);
        foreach (var c in name)
        {
            if (char.IsUpper(c) && text.Length > 0)
            {
                text.Append('_');
            }

            text.Append(char.ToLowerInvariant(c));
        }

        return text.ToString();
    }
}
