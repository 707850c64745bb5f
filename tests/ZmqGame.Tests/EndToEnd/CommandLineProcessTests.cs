using ZmqGame.Tests.Broker;
using ZmqGame.Tests.Support;

namespace ZmqGame.Tests.EndToEnd;

/// <summary>
/// The broker and the worker host behave like .NET tools: <c>--help</c> prints usage and exits 0 without starting
/// anything; an unknown option or a bad value is one line naming it and exit code 2, never a stack trace.
/// </summary>
[TestFixture]
public sealed class CommandLineProcessTests
{
    private const string Broker = "ZmqGame.Broker";
    private const string WorkerHost = "ZmqGame.Worker.Host";

    [TestCase(Broker, "--help")]
    [TestCase(Broker, "-h")]
    [TestCase(WorkerHost, "--help")]
    [TestCase(WorkerHost, "-h")]
    [TestCase(WorkerHost, "--processes", "2", "--help")]
    public async Task Help_PrintsUsage_AndExitsZero_WithoutStarting(string project, params string[] args)
    {
        // No broker runs at the worker's default endpoint either way; a worker that started would keep running.
        using var process = ProcessUnderTest.Start(project, args);

        Assert.That(await process.WaitForExitAsync(), Is.Zero, process.Output);
        Assert.That(process.Output, Does.Contain("usage:").And.Not.Contain("READY").And.Not.Contain("listening"));
    }

    [TestCase(Broker, "--frontnd", "tcp://127.0.0.1:0", "--frontnd")]
    [TestCase(Broker, "--request-timeout", "5x", "--request-timeout")]
    [TestCase(Broker, "--liveness", "many", "--liveness")]
    [TestCase(Broker, "--frontend-curve", "maybe", "--frontend-curve")]
    [TestCase(Broker, "--frontend", null, "--frontend")]
    [TestCase(WorkerHost, "--slots", "abc", "--slots")]
    [TestCase(WorkerHost, "--brokr", "tcp://127.0.0.1:1", "--brokr")]
    [TestCase(WorkerHost, "--processes", "x2", "'x2'")]
    [TestCase(WorkerHost, "--Worker:ShutdownTimeout", "soon", "Worker:ShutdownTimeout")]
    [TestCase(WorkerHost, "--Worker:Slots", "abc", "Worker:Slots")]
    public async Task BadOptionOrValue_IsOneLineNamingIt_AndExitCodeTwo(string project, string option, string? value, string named)
    {
        using var process = value is null ? ProcessUnderTest.Start(project, option) : ProcessUnderTest.Start(project, option, value);

        Assert.That(await process.WaitForExitAsync(), Is.EqualTo(2), process.Output);
        var lines = process.Lines.Where(l => l.Length > 0).ToList();
        Assert.That(lines, Has.Count.EqualTo(1), process.Output);
        Assert.That(lines[0], Does.StartWith("error: ").And.Contain(named));
    }

    [Test]
    public async Task Broker_TakesDurationsInEverySyntax()
    {
        using var broker = ProcessUnderTest.Start(
            Broker, "tcp://127.0.0.1:0", "tcp://127.0.0.1:0", "--control", "tcp://127.0.0.1:0",
            "--request-timeout", "5s", "--heartbeat-interval", "250ms", "--event-timeout", "1m", "--session-timeout", "00:00:10");

        await broker.WaitForLineAsync(BrokerProcessTests.ListeningLine);
        broker.Terminate();
        Assert.That(await broker.WaitForExitAsync(), Is.Zero, broker.Output);
    }

    [Test]
    public async Task Broker_StartUpLine_ShowsTheAddressesAsBound_WithTheChosenPorts()
    {
        using var broker = ProcessUnderTest.Start(
            Broker, "tcp://*:0", "tcp://0.0.0.0:0", "--control", "tcp://0.0.0.0:0", "--Broker:Security:AllowInsecureControl", "true");

        var line = await broker.WaitForLineAsync(BrokerProcessTests.ListeningLine);

        Assert.Multiple(() =>
        {
            Assert.That(line.Groups[1].Value, Does.Match(@"^tcp://\*:[1-9][0-9]*$"));
            Assert.That(line.Groups[2].Value, Does.Match(@"^tcp://0\.0\.0\.0:[1-9][0-9]*$"));
            Assert.That(line.Groups[3].Value, Does.Match(@"^tcp://0\.0\.0\.0:[1-9][0-9]*$"));
        });
        broker.Terminate();
        Assert.That(await broker.WaitForExitAsync(), Is.Zero, broker.Output);
    }

    [Test]
    public async Task WorkerHost_TakesDurationsInEverySyntax()
    {
        using var broker = ProcessUnderTest.Start(Broker, "tcp://127.0.0.1:0", "tcp://127.0.0.1:0", "--control", "tcp://127.0.0.1:0");
        var backend = (await broker.WaitForLineAsync(BrokerProcessTests.ListeningLine)).Groups[2].Value.TrimEnd(',');
        using var worker = ProcessUnderTest.Start(
            WorkerHost, "--broker", backend, "--slots", "1", "--service", "echo",
            "--Worker:HeartbeatInterval", "500ms", "--Worker:ShutdownTimeout", "5s", "--Worker:ReconnectDelayMax", "00:00:02");

        await worker.WaitForLineAsync("Slot 0 of service 'echo' READY");
        worker.Terminate();
        Assert.That(await worker.WaitForExitAsync(), Is.Zero, worker.Output);
        broker.Terminate();
        Assert.That(await broker.WaitForExitAsync(), Is.Zero, broker.Output);
    }
}
