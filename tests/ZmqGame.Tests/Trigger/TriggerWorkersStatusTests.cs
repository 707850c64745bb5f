using System.Text.Json;
using System.Text.RegularExpressions;
using ZmqGame.Tests.Support;
using ZmqGame.Trigger;
using ZmqGame.Worker;

using static ZmqGame.Tests.Trigger.TriggerCliOutput;

namespace ZmqGame.Tests.Trigger;

/// <summary>
/// <c>trigger workers status</c> of a broker with a real worker: a table in the style of the supervisor's (a dashed line
/// under the headers, numbers right-aligned) and, with <c>--json</c>, the broker's stats answer as it comes.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class TriggerWorkersStatusTests
{
    [Test]
    public async Task WorkersStatus_IsATable_OneRowPerWorker_WithTheSupervisorTablesStyle()
    {
        using var broker = new BrokerFixture();
        await using var app = await StartWorkerAsync(broker);

        var (code, stdout, stderr) = await Run("workers", "status", "--broker", broker.Control);

        Assert.That(code, Is.EqualTo(TriggerCli.ExitOk), stderr);
        var lines = stdout.TrimEnd().Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        Assert.That(Cells(lines[0]), Is.EqualTo(new[] { "SERVICE", "WORKER", "STATE", "VERSION", "UPTIME_S", "SERVED" }), stdout);
        Assert.That(lines[1].Trim(), Does.Match("^-+$"), "a dashed line under the headers, as in the supervisor's table");
        var rows = lines.Skip(2).SkipLast(1).Select(Cells).ToList();
        Assert.That(rows, Has.Count.EqualTo(2), stdout);
        Assert.That(rows.Select(r => (r[0], r[2], r[3], r[5])), Is.All.EqualTo(("game", "idle", "7.1.0", "1")).Or.EqualTo(("game", "idle", "7.1.0", "0")), stdout);
        Assert.That(rows.Sum(r => int.Parse(r[5], System.Globalization.CultureInfo.InvariantCulture)), Is.EqualTo(1), "the one request served");
        Assert.That(lines[^1], Is.EqualTo("2 worker(s)"));
        Assert.That(lines[2].TrimEnd(), Does.EndWith(rows[0][5]).And.Length.EqualTo(lines[0].TrimEnd().Length), "numbers are right-aligned under their header");
    }

    [Test]
    public async Task WorkersStatusJson_IsTheBrokersAnswer_AndPrettyTheSameIndented()
    {
        using var broker = new BrokerFixture();
        await using var app = await StartWorkerAsync(broker);

        var (code, stdout, stderr) = await Run("workers", "status", "--json", "--broker", broker.Control);
        var (prettyCode, pretty, _) = await Run("workers", "status", "--json", "--pretty", "--broker", broker.Control);

        Assert.That((code, prettyCode), Is.EqualTo((TriggerCli.ExitOk, TriggerCli.ExitOk)), stderr);
        using var json = JsonDocument.Parse(stdout);
        var workers = json.RootElement.GetProperty("services").GetProperty("game").GetProperty("worker_list");
        Assert.That(workers.GetArrayLength(), Is.EqualTo(2));
        Assert.That(workers.EnumerateArray().Select(w => w.GetProperty("version").GetString()), Is.All.EqualTo("7.1.0"));
        Assert.That(json.RootElement.GetProperty("counters").GetProperty("requests").GetInt64(), Is.EqualTo(1), "the whole answer, counters too");
        Assert.That(pretty, Does.Contain("\n  \""), "indented");
        using var prettyJson = JsonDocument.Parse(pretty);
        Assert.That(prettyJson.RootElement.GetProperty("services").GetProperty("game").GetProperty("worker_list").GetArrayLength(), Is.EqualTo(2));
    }

    [Test]
    public async Task WorkersStatus_NoWorker_SaysSo()
    {
        using var broker = new BrokerFixture();

        var (code, stdout, _) = await Run("workers", "status", "--broker", broker.Control);

        Assert.That(code, Is.EqualTo(TriggerCli.ExitOk));
        Assert.That(stdout.Trim(), Is.EqualTo("0 worker(s)"));
    }

    private static async Task<WorkerApp> StartWorkerAsync(BrokerFixture broker)
    {
        var app = WorkerApp.Create(new WorkerOptions { Broker = broker.Backend, Slots = 2, Version = "7.1.0" });
        app.MapService("game").Map<int, int>(1, (n, _) => n);
        await app.StartAsync();
        await broker.WaitForIdleWorkers("game", 2);
        await using (var client = await ZmqGame.Client.ZmqGameClient.ConnectAsync(broker.Frontend))
        {
            Assert.That(await client.RequestAsync<int, int>("game", 1, 5), Is.EqualTo(5));
        }

        await broker.WaitForIdleWorkers("game", 2);
        return app;
    }
}
