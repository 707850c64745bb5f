namespace ZmqGame.Client.Internal;

/// <summary>
/// The routes the current broker's workers declared idempotent (WELCOME's <c>idempotent</c> map): a request on one of
/// them that was in flight on a lost broker goes again on the next one instead of failing with <c>broker lost</c>.
/// Immutable; the I/O thread replaces it at each WELCOME.
/// </summary>
internal sealed class IdempotentRoutes
{
    /// <summary>No idempotent route (before the first WELCOME, or from a broker that does not announce them).</summary>
    public static readonly IdempotentRoutes None = new(new Dictionary<string, HashSet<int>>(StringComparer.Ordinal));

    private readonly Dictionary<string, HashSet<int>> routes;

    private IdempotentRoutes(Dictionary<string, HashSet<int>> routes) => this.routes = routes;

    /// <summary>The routes of a WELCOME's map (null: none announced).</summary>
    public static IdempotentRoutes From(Dictionary<string, int[]>? announced)
    {
        if (announced is null || announced.Count == 0)
        {
            return None;
        }

        var routes = new Dictionary<string, HashSet<int>>(StringComparer.Ordinal);
        foreach (var entry in announced)
        {
            routes[entry.Key] = new HashSet<int>(entry.Value ?? []);
        }

        return new IdempotentRoutes(routes);
    }

    /// <summary>True when command <paramref name="command"/> of <paramref name="service"/> may run twice.</summary>
    public bool Contains(string service, int command) => routes.TryGetValue(service, out var commands) && commands.Contains(command);
}
