using Microsoft.Playwright;
using ZmqGame.Protocol;
using static Microsoft.Playwright.Assertions;

namespace ZmqGame.Tests.Http;

/// <summary>
/// The admin console's page in a real headless Chromium (the system's <c>/usr/bin/chromium</c>, Debian package
/// <c>chromium</c>; .ci/run installs it), driven by Playwright, against a real broker, worker host and client.
/// </summary>
[TestFixture]
[Platform(Exclude = "Win")]
[NonParallelizable]
public sealed class AdminConsoleBrowserTests
{
    private const string Chromium = "/usr/bin/chromium";
    private const string Token = "browser-admin-token";
    private static readonly float Patience = (float)AdminConsoleBroker.Patience.TotalMilliseconds;

    [Test]
    public async Task Page_AsksForTheToken_ShowsAWorkerThatJustAttached_AndItsKickEndsTheUsersSession()
    {
        // No skip: without the browser this test fails, saying how to get it.
        Assert.That(File.Exists(Chromium), Is.True, $"{Chromium} is missing: install the Debian package chromium (apt-get install -y chromium)");
        using var broker = await AdminConsoleBroker.StartAsync(Token);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium, Headless = true });
        var page = await browser.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, error) => errors.Add(error);

        await page.GotoAsync(broker.Url + "/");
        await Expect(page.Locator("#token-form")).ToBeVisibleAsync(new() { Timeout = Patience });
        await page.Locator("#token").FillAsync(Token);
        await page.Locator("#token-form button[type=submit]").ClickAsync();
        await Expect(page.Locator("#console")).ToBeVisibleAsync(new() { Timeout = Patience });
        await Expect(page.Locator("#workers tbody tr")).ToHaveCountAsync(0, new() { Timeout = Patience });

        // A worker attaches: the page shows it (it polls every second), with its service and state.
        await broker.StartLobbyWorkerAsync();
        var worker = page.Locator("#workers tbody tr");
        await Expect(worker).ToHaveCountAsync(1, new() { Timeout = Patience });
        await Expect(worker.Locator("td").First).ToHaveTextAsync("lobby", new() { Timeout = Patience });
        await Expect(worker.Locator("td.state")).ToHaveTextAsync("idle", new() { Timeout = Patience });
        await Expect(page.Locator("#services tbody tr[data-service=lobby]")).ToBeVisibleAsync(new() { Timeout = Patience });

        // A player logs in; the operator kicks them from the page; the real client sees its session end.
        var ann = broker.Player("ann");
        await Expect(page.Locator("#c-logged-in")).ToHaveTextAsync("1", new() { Timeout = Patience });
        await page.Locator("#kick-user").FillAsync("ann");
        await page.Locator("#kick-reason").FillAsync("see you tomorrow");
        await page.Locator("#kick-form button[type=submit]").ClickAsync();
        await Expect(page.Locator("#action-result")).ToHaveTextAsync("kicked ann (1 session)", new() { Timeout = Patience });
        Assert.That(ann.NextClosed(), Is.EqualTo((SessionCloseReason.Kicked, "see you tomorrow")));
        await Expect(page.Locator("#c-sessions")).ToHaveTextAsync("0", new() { Timeout = Patience });

        // A bad action shows the broker's clear message.
        await page.Locator("#kick-form button[type=submit]").ClickAsync();
        await Expect(page.Locator("#action-result")).ToHaveTextAsync("no session of user ann", new() { Timeout = Patience });
        Assert.That(errors, Is.Empty, "script errors on the page");
    }
}
