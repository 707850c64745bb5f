using System.Text.RegularExpressions;
using ZmqGame.Tests.Cluster;
using ZmqGame.Tests.Support;
using ZmqGame.Trigger;
using ZmqGame.Worker;

namespace ZmqGame.Tests.Trigger;

/// <summary>The trigger CLI run in this process, its tables read back, and the game worker its table tests run against.</summary>
internal static partial class TriggerCliOutput
{
    /// <summary>The trigger CLI (<c>TriggerCli.RunAsync</c>) in this process, its output captured.</summary>
    public static async Task<(int Code, string Stdout, string Stderr)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await TriggerCli.RunAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>A table line's cells: separated by two spaces or more (a cell has single spaces at most).</summary>
    public static string[] Cells(string line) => CellGap().Split(line.Trim()).Where(c => c.Length > 0).ToArray();

    /// <summary>The cells of the first table row whose first cell is <paramref name="first"/>.</summary>
    public static string[] Row(string table, string first) =>
        table.Split('\n').Select(Cells).FirstOrDefault(c => c.Length > 0 && c[0] == first)
        ?? throw new AssertionException($"no row '{first}' in:\n{table}");

    /// <summary>A worker host in this process: service game, command 1 echoes an int, command 2 throws; two slots.</summary>
    public static async Task<WorkerApp> GameWorkerAsync(BrokerFixture broker, string? backend = null)
    {
        var app = WorkerApp.Create(new WorkerOptions { Broker = backend ?? broker.Backend, Slots = 2 });
        var game = app.MapService("game");
        game.Map<int, int>(1, (n, _) => n);
        game.Map<int, int>(2, (_, _) => throw new InvalidOperationException("boom"));
        await app.StartAsync();
        await broker.WaitForIdleWorkers("game", 2);
        return app;
    }

    /// <summary>A worker host in this process on both brokers of a cluster: service game, command 1 echoes an int; one slot.</summary>
    public static async Task<WorkerApp> ClusterGameWorkerAsync(ClusterBroker a, ClusterBroker b)
    {
        var app = WorkerApp.Create(new WorkerOptions { Broker = a.Backend + "," + b.Backend, Slots = 1 });
        app.MapService("game").Map<int, int>(1, (n, _) => n);
        await app.StartAsync();
        return app;
    }

    [GeneratedRegex(@"\s{2,}")]
    private static partial Regex CellGap();
}
