using System.Text.Json;
using System.Text.RegularExpressions;
using MessagePack;
using NetMQ;
using ZmqGame.Protocol;
using ZmqGame.Tests.Broker;
using ZmqGame.Tests.Support;
using ZmqGame.Worker.Host;

namespace ZmqGame.Tests.EndToEnd;

/// <summary>The trigger CLI against the real broker and worker host executables, with players in the lobby.</summary>
[TestFixture]
[Platform(Exclude = "Win")]
[NonParallelizable]
public sealed class TriggerProcessTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static async Task<(ProcessUnderTest Broker, string Frontend, string Backend, string Control)> StartBrokerAsync(params string[] extra)
    {
        var broker = ProcessUnderTest.Start("ZmqGame.Broker", ["tcp://127.0.0.1:0", "tcp://127.0.0.1:0", "--control", "tcp://127.0.0.1:0", "--session-key-file", "", .. extra]);
        var line = await broker.WaitForLineAsync(BrokerProcessTests.ListeningLine);
        return (broker, line.Groups[1].Value.TrimEnd(','), line.Groups[2].Value.TrimEnd(','), line.Groups[3].Value);
    }

    private static async Task<(int Code, string Output)> Trigger(params string[] args)
    {
        using var process = ProcessUnderTest.Start("ZmqGame.Trigger.Cli", args);
        var code = await process.WaitForExitAsync(Patience);
        return (code, process.Output);
    }

    private static byte[] Json(string name, string value) =>
        MessagePackSerializer.Serialize(new Dictionary<string, object> { [name] = value }, Payload.Options);

    private static string Text(byte[] payload, string key) =>
        (string)MessagePackSerializer.Deserialize<Dictionary<string, object>>(payload, Payload.Options)[key];

    [Test]
    public async Task TriggerCli_PushesBroadcastsGroupsAndKicks_ThePlayersSeeIt_AndTheCloseHookFiresOnce()
    {
        var (broker, frontend, backend, control) = await StartBrokerAsync();
        using var _ = broker;
        using var worker = ProcessUnderTest.Start("ZmqGame.Worker.Host", "--broker", backend, "--slots", "2", "--service", "lobby");
        await worker.WaitForLineAsync("Slot 1 of service 'lobby' READY", Patience);
        using var ann = RawSessionClient.Welcomed(frontend, "lobby");
        using var bob = RawSessionClient.Welcomed(frontend, "lobby");
        Assert.That(ann.Call("lobby", 1, LobbyCommands.Login, Json("Name", "ann")).Status, Is.Zero);
        Assert.That(bob.Call("lobby", 2, LobbyCommands.Login, Json("Name", "bob")).Status, Is.Zero);

        var push = await Trigger("push", "--user", "ann", "--cmd", "7", "--json", """{"Text": "hi ann"}""", "--broker", control);
        Assert.That(push.Code, Is.Zero, push.Output);
        Assert.That(push.Output, Does.Contain("pushed cmd 7 to 1 session (0 dropped)"));
        Assert.That(Text(ann.NextPush().Payload, "Text"), Is.EqualTo("hi ann"));

        var broadcast = await Trigger("broadcast", "--cmd", "8", "--json", """{"Text": "restart in 5 minutes"}""", "--logged-in", "--broker", control);
        Assert.That(broadcast.Output, Does.Contain("pushed cmd 8 to 2 sessions"));
        Assert.That(Text(ann.NextPush().Payload, "Text"), Is.EqualTo("restart in 5 minutes"));
        Assert.That(Text(bob.NextPush().Payload, "Text"), Is.EqualTo("restart in 5 minutes"));

        var join = await Trigger("group", "join", "--group", "vip", "--user", "bob", "--broker", control);
        Assert.That(join.Code, Is.Zero, join.Output);
        var vip = await Trigger("push", "--group", "vip", "--cmd", "9", "--json", """{"Text": "vip only"}""", "--broker", control);
        Assert.That(vip.Output, Does.Contain("to 1 session"));
        Assert.That(Text(bob.NextPush().Payload, "Text"), Is.EqualTo("vip only"));

        var kick = await Trigger("kick", "--user", "bob", "--reason", "spamming", "--broker", control);
        Assert.That(kick.Code, Is.Zero, kick.Output);
        Assert.That(kick.Output, Does.Contain("kicked 1 session"));
        Assert.That(bob.NextClosed(), Is.EqualTo((SessionCloseReason.Kicked, "spamming")));
        await worker.WaitForLineAsync("client closed: session [0-9]+ user bob reason Kicked \\(spamming\\)", Patience);

        var stats = await Trigger("stats", "--json", "--broker", control);
        Assert.That(stats.Code, Is.Zero, stats.Output);
        var root = JsonDocument.Parse(stats.Output.Trim()).RootElement;
        Assert.That(root.GetProperty("sessions").GetInt64(), Is.EqualTo(1));
        Assert.That(root.GetProperty("counters").GetProperty("sessions_closed.kicked").GetInt64(), Is.EqualTo(1));
        Assert.That(Regex.Count(worker.Output, "client closed: .* user bob "), Is.EqualTo(1), worker.Output);
    }

    [Test]
    public async Task TriggerCli_WithAKeyNotOnTheAllowList_IsRefused_AndWithAnAllowedKeyWorks()
    {
        var server = new NetMQCertificate();
        var allowed = new NetMQCertificate();
        var stranger = new NetMQCertificate();
        var (broker, _, _, control) = await StartBrokerAsync(
            "--server-secret-key", server.SecretKeyZ85!, "--Broker:Security:TriggerKeys:0", allowed.PublicKeyZ85);
        using var _ = broker;

        var refused = await Trigger("broadcast", "--cmd", "1", "--json", "{}", "--broker", control, "--server-key", server.PublicKeyZ85, "--secret-key", stranger.SecretKeyZ85!);
        Assert.That(refused.Code, Is.EqualTo(4), refused.Output);
        Assert.That(refused.Output, Does.Contain("not authorised"));

        var ok = await Trigger("stats", "--json", "--broker", control, "--server-key", server.PublicKeyZ85, "--secret-key", allowed.SecretKeyZ85!);
        Assert.That(ok.Code, Is.Zero, ok.Output);
        var counters = JsonDocument.Parse(ok.Output.Trim()).RootElement.GetProperty("counters");
        Assert.That(counters.GetProperty("control_refused").GetInt64(), Is.GreaterThanOrEqualTo(1));
    }
}
