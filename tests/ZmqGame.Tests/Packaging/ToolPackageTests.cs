using ZmqGame.Tests.Support;

namespace ZmqGame.Tests.Packaging;

/// <summary>The tool packages install with <c>dotnet tool install</c> from the packed feed and run as their commands.</summary>
[TestFixture]
[Category(Categories.Packaging)]
[NonParallelizable]
[Platform(Exclude = "Win")]
public sealed class ToolPackageTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    private PackedFeed _feed = null!;
    private string _tools = null!;

    [OneTimeSetUp]
    public async Task InstallTools()
    {
        _feed = await PackedFeed.GetAsync();
        _tools = Path.Combine(_feed.Root, "tools");
        foreach (var id in new[] { "ZmqGame.Broker.Tool", "ZmqGame.Worker.Tool", "ZmqGame.Trigger.Tool", "ZmqGame.Client.Tool" })
        {
            (await DotnetCommand.RunAsync(_feed, _feed.Home, Patience,
                "tool", "install", id, "--version", PackedFeed.Version, "--tool-path", _tools, "--add-source", _feed.Feed))
                .Succeeded("dotnet tool install " + id);
        }
    }

    [TestCase("zmqgame-broker")]
    [TestCase("zmqgame-worker")]
    [TestCase("zmqgame-trigger")]
    [TestCase("zmqgame-client")]
    public async Task InstalledTool_Help_PrintsUsage(string command)
    {
        var help = await DotnetCommand.RunFileAsync(_feed, Path.Combine(_tools, command), _feed.Home, Patience, "--help");

        Assert.That(help.ExitCode, Is.Zero, help.Output);
        Assert.That(help.Output, Does.Contain("usage").IgnoreCase);
    }

    [TestCase("zmqgame-broker")]
    [TestCase("zmqgame-worker")]
    [TestCase("zmqgame-trigger")]
    [TestCase("zmqgame-client")]
    public async Task InstalledTool_BadOption_FailsWithExitCode2(string command)
    {
        var bad = await DotnetCommand.RunFileAsync(_feed, Path.Combine(_tools, command), _feed.Home, Patience, "--no-such-option");

        Assert.That(bad.ExitCode, Is.EqualTo(2), bad.Output);
    }
}
