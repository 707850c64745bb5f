using System.Net;
using System.Net.Http.Json;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.Json;
using MessagePack;
using ZmqGame.Protocol;
using ZmqGame.Tests.Support;
using ZmqGame.Worker.Host;

namespace ZmqGame.Tests.Http;

/// <summary>The admin console's JSON API against a real broker process, with a real worker host and real clients.</summary>
[TestFixture]
[Platform(Exclude = "Win")]
[NonParallelizable]
public sealed class AdminConsoleApiTests
{
    private const string Token = "s3cret-admin-token";

    [Test]
    public async Task Api_WithAToken_RefusesNoneAndAWrongOne_AndAnswersTheRightOne()
    {
        using var broker = await AdminConsoleBroker.StartAsync(Token);

        using (var none = await broker.Client.GetAsync(new Uri("/admin/api/overview", UriKind.Relative)))
        {
            Assert.That(none.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(await none.Content.ReadAsStringAsync(), Does.Contain("Authorization: Bearer"));
        }

        broker.UseToken(Token + "x");
        using (var wrong = await broker.Client.GetAsync(new Uri("/admin/api/overview", UriKind.Relative)))
        {
            Assert.That(wrong.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        }

        using (var kick = await broker.Client.PostAsJsonAsync(new Uri("/admin/api/kick", UriKind.Relative), new { user = "ann" }))
        {
            Assert.That(kick.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "an action without the right token");
        }

        broker.UseToken(Token);
        var overview = await broker.GetAsync("/admin/api/overview");
        Assert.That(overview.GetProperty("counters").GetProperty("sessions").GetInt64(), Is.Zero);

        // The page holds no data: it is served to anyone, and asks for the token.
        broker.Client.DefaultRequestHeaders.Authorization = null;
        using var page = await broker.Client.GetAsync(new Uri("/", UriKind.Relative));
        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await page.Content.ReadAsStringAsync(), Does.Contain("Admin token"));
        await broker.Process.WaitForLineAsync("Admin console refused a request from 127.0.0.1 \\(401\\)", AdminConsoleBroker.Patience);
    }

    [Test]
    public async Task Api_WithoutAToken_RefusesANonLoopbackClient_AndAnswersLoopback()
    {
        var address = NonLoopbackAddress();
        Assume.That(address, Is.Not.Null, "this machine has no non-loopback IPv4 address to connect from");
        using var broker = await AdminConsoleBroker.StartAsync(token: null, httpHost: "0.0.0.0");

        var port = new Uri(broker.Url).Port;
        using var outside = new HttpClient { BaseAddress = new Uri($"http://{address}:{port}"), Timeout = AdminConsoleBroker.Patience };
        foreach (var path in new[] { "/admin/api/overview", "/" })
        {
            using var refused = await outside.GetAsync(new Uri(path, UriKind.Relative));
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), path);
            Assert.That(await refused.Content.ReadAsStringAsync(), Does.Contain("loopback clients only"));
        }

        using (var kick = await outside.PostAsJsonAsync(new Uri("/admin/api/kick", UriKind.Relative), new { user = "ann" }))
        {
            Assert.That(kick.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        }

        var overview = await broker.GetAsync("/admin/api/overview");
        Assert.That(overview.GetProperty("workers").GetArrayLength(), Is.Zero);

        // A page of another site (DNS rebound to 127.0.0.1, or posting cross-origin) is refused too.
        using var rebound = new HttpRequestMessage(HttpMethod.Get, new Uri("/admin/api/overview", UriKind.Relative));
        rebound.Headers.Host = "attacker.example:" + port;
        using (var response = await broker.Client.SendAsync(rebound))
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        }

        using var crossSite = new HttpRequestMessage(HttpMethod.Post, new Uri("/admin/api/kick", UriKind.Relative)) { Content = JsonContent.Create(new { user = "ann" }) };
        crossSite.Headers.Add("Origin", "http://attacker.example");
        using (var response = await broker.Client.SendAsync(crossSite))
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        }
    }

    [Test]
    public async Task Kick_EndsARealClientsSession_WithStatusKicked()
    {
        using var broker = await AdminConsoleBroker.StartAsync(Token);
        broker.UseToken(Token);
        await broker.StartLobbyWorkerAsync();
        var ann = broker.Player("ann");
        var bob = broker.Player("bob");

        var page = await broker.GetAsync("/admin/api/sessions?user=AN");
        Assert.That(page.GetProperty("total").GetInt32(), Is.EqualTo(2));
        Assert.That(page.GetProperty("matched").GetInt32(), Is.EqualTo(1));
        var listed = page.GetProperty("sessions")[0];
        Assert.That(listed.GetProperty("user").GetString(), Is.EqualTo("ann"));
        Assert.That(listed.GetProperty("id").GetString(), Is.EqualTo(ann.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        var (status, body) = await broker.PostAsync("/admin/api/kick", new { user = "ann", reason = "cheating" });
        Assert.That(status, Is.EqualTo(200), body.ToString());
        Assert.That(body.GetProperty("sessions").GetInt32(), Is.EqualTo(1));
        Assert.That(ann.NextClosed(), Is.EqualTo((SessionCloseReason.Kicked, "cheating")));

        // Bob is untouched, and kicking ann again is a clear 400.
        Assert.That((await broker.GetAsync("/admin/api/sessions?user=bob")).GetProperty("matched").GetInt32(), Is.EqualTo(1));
        var again = await broker.PostAsync("/admin/api/kick", new { user = "ann" });
        Assert.That(again.Status, Is.EqualTo(400));
        Assert.That(again.Body.GetProperty("error").GetString(), Is.EqualTo("no session of user ann"));
        var counters = (await broker.GetAsync("/admin/api/overview")).GetProperty("counters");
        Assert.That(counters.GetProperty("sessionsKicked").GetInt64(), Is.EqualTo(1));
        Assert.That(counters.GetProperty("sessions").GetInt64(), Is.EqualTo(1));
    }

    [Test]
    public async Task Push_ToAUserAGroupAndEveryone_ReachesRealClients_AndBadPushesAre400()
    {
        using var broker = await AdminConsoleBroker.StartAsync();
        await broker.StartLobbyWorkerAsync();
        var ann = broker.Player("ann");
        var bob = broker.Player("bob");
        Assert.That(bob.Call("lobby", 7, LobbyCommands.Join, MessagePackSerializer.Serialize(new Dictionary<string, object> { ["Room"] = "vip" }, Payload.Options)).Status, Is.Zero);

        var toAnn = await broker.PostAsync("/admin/api/push", new { target = "user", name = "ann", cmd = 42, json = """{"Text": "hi ann"}""" });
        Assert.That(toAnn.Status, Is.EqualTo(200), toAnn.Body.ToString());
        Assert.That(toAnn.Body.GetProperty("sessions").GetInt32(), Is.EqualTo(1));
        var push = ann.NextPush();
        Assert.That(push.Command, Is.EqualTo(42));
        Assert.That(Text(push.Payload), Is.EqualTo("hi ann"));

        var toRoom = await broker.PostAsync("/admin/api/push", new { target = "group", name = "room:vip", cmd = 44, json = """{"Text": "vip only"}""" });
        Assert.That(toRoom.Body.GetProperty("sessions").GetInt32(), Is.EqualTo(1), toRoom.Body.ToString());
        Assert.That(Text(PushOf(bob, 44)), Is.EqualTo("vip only"));

        var everyone = await broker.PostAsync("/admin/api/push", new { target = "all", cmd = 43, json = """{"Text": "restart soon"}""" });
        Assert.That(everyone.Body.GetProperty("sessions").GetInt32(), Is.EqualTo(2), everyone.Body.ToString());
        Assert.That(Text(PushOf(ann, 43)), Is.EqualTo("restart soon"));
        Assert.That(Text(PushOf(bob, 43)), Is.EqualTo("restart soon"));

        var bad = new (object Body, string Error)[]
        {
            (new { target = "user", name = "ann", cmd = 1, json = "" }, "empty push"),
            (new { target = "user", name = "ann", cmd = 1, json = "{" }, "invalid JSON"),
            (new { target = "user", name = "nobody", cmd = 1, json = "{}" }, "no session of user nobody"),
            (new { target = "moon", cmd = 1, json = "{}" }, "push needs a target"),
            (new { target = "all", json = "{}" }, "push needs cmd"),
        };
        foreach (var (request, error) in bad)
        {
            var (status, body) = await broker.PostAsync("/admin/api/push", request);
            Assert.That(status, Is.EqualTo(400), body.ToString());
            Assert.That(body.GetProperty("error").GetString(), Does.Contain(error));
        }

        using var notJson = await broker.Client.PostAsync(new Uri("/admin/api/push", UriKind.Relative), new StringContent("target=all"));
        Assert.That(notJson.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(broker.Process.HasExited, Is.False);
    }

    [Test]
    public async Task Drain_TakesAWorkerOutOfService_TheOtherServesEverything()
    {
        using var broker = await AdminConsoleBroker.StartAsync();
        await broker.StartLobbyWorkerAsync(slots: 2);
        var workers = await broker.WorkersAsync(w => w.Length == 2 && w.All(x => x.GetProperty("state").GetString() == "idle"));
        Assert.That(workers.Select(w => w.GetProperty("service").GetString()), Is.All.EqualTo("lobby"));
        Assert.That(workers[0].GetProperty("version").GetString(), Is.Not.Empty);
        var drained = workers[0].GetProperty("id").GetString()!;
        var other = workers[1].GetProperty("id").GetString()!;

        var (status, body) = await broker.PostAsync("/admin/api/drain", new { worker = drained });
        Assert.That(status, Is.EqualTo(200), body.ToString());
        Assert.That(body.GetProperty("outcome").GetString(), Is.EqualTo("drained"));

        var players = Enumerable.Range(0, 10).Select(i => broker.Player("p" + i)).ToList();
        Assert.That(players, Has.Count.EqualTo(10));
        var after = await broker.WorkersAsync(w => w.Length == 2);
        var byId = after.ToDictionary(w => w.GetProperty("id").GetString()!);
        Assert.That(byId[drained].GetProperty("state").GetString(), Is.EqualTo("draining"));
        Assert.That(byId[drained].GetProperty("served").GetInt64(), Is.Zero, "a drained worker is sent nothing");
        Assert.That(byId[other].GetProperty("served").GetInt64(), Is.GreaterThanOrEqualTo(10));
        var lobby = (await broker.GetAsync("/admin/api/overview")).GetProperty("services")[0];
        Assert.That(lobby.GetProperty("draining").GetInt32(), Is.EqualTo(1));

        var again = await broker.PostAsync("/admin/api/drain", new { worker = drained });
        Assert.That(again.Body.GetProperty("outcome").GetString(), Is.EqualTo("already draining"));
        var unknown = await broker.PostAsync("/admin/api/drain", new { worker = "00FF" });
        Assert.That(unknown.Status, Is.EqualTo(400));
        Assert.That(unknown.Body.GetProperty("error").GetString(), Is.EqualTo("no worker 00FF on this broker"));
        var notHex = await broker.PostAsync("/admin/api/drain", new { worker = "zz" });
        Assert.That(notHex.Status, Is.EqualTo(400));
    }

    /// <summary>The payload of the next push of command <paramref name="command"/> (others are kept).</summary>
    private static byte[] PushOf(RawSessionClient client, int command) =>
        client.Next(f => f.Count >= 5 && f[2].Length == 1 && f[2][0] == ZgClient.Push && PushHeader.TryRead(f[3], out var h) && h.Command == command)[4];

    private static string Text(byte[] payload) =>
        (string)MessagePackSerializer.Deserialize<Dictionary<string, object>>(payload, Payload.Options)["Text"];

    private static IPAddress? NonLoopbackAddress() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
}
