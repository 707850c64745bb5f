using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using ZmqGame.Tests.Packaging;
using ZmqGame.Tests.Support;
using ZmqGame.Worker;
using static Microsoft.Playwright.Assertions;

namespace ZmqGame.Tests.WebSocket;

/// <summary>
/// The C# client in a real browser, single-threaded as a Unity WebGL player: <c>tests/WebGl.Player</c>, a browser-wasm
/// .NET app (built here with <c>dotnet build</c>), whose WebSocket bridge is the Unity package's own
/// <c>Plugins/WebGL/ZmqGameWebSocket.jslib</c> (loaded with a shim for its Emscripten helpers) and whose frame timer
/// calls <c>ZmqGameWebSocket.Pump()</c>, in headless Chromium (the system's, driven by Playwright) against a real
/// broker's WebSocket frontend and a real worker: the session, a login answered with a push, a call.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class BrowserPlayerTests
{
    private const string Chromium = "/usr/bin/chromium";
    private const int Login = 1;
    private const int Add = 3;
    private const int Welcome = 100;

    [Test]
    public async Task BrowserWasmPlayer_OverTheJslib_Pumped_LogsInGetsThePushAndIsAnswered()
    {
        // No skip: without the browser this test fails, saying how to get it.
        Assert.That(File.Exists(Chromium), Is.True, $"{Chromium} is missing: install the Debian package chromium (apt-get install -y chromium)");
        var root = PackedFeed.RepositoryRoot;
        var project = Path.Combine(root, "tests", "WebGl.Player");
        (await DotnetCommand.RunFileAsync(new Dictionary<string, string>(), "dotnet", project, TimeSpan.FromMinutes(10), "build", "-nologo", "-v", "q"))
            .Succeeded("building the browser-wasm player");
        var files = new Dictionary<string, string>
        {
            ["/"] = Path.Combine(project, "wwwroot"),
            ["/_framework/"] = Path.Combine(project, "bin", "Debug", "net10.0", "wwwroot", "_framework"),
            ["/ZmqGameWebSocket.jslib"] = Path.Combine(root, "client", "unity", "Plugins", "WebGL", "ZmqGameWebSocket.jslib"),
        };

        await using var broker = await BrokerFixture.StartAsync(o => o.WebSocket = "ws://127.0.0.1:0");
        await using var app = WorkerApp.Create(new WorkerOptions { Broker = broker.Backend, Slots = 2 });
        var game = app.MapService("game");
        game.Map<string, string>(Login, (name, ctx) =>
        {
            ctx.Login(name);
            ctx.PushToCaller(Welcome, "welcome " + name);
            return name;
        });
        game.Map<int[], int>(Add, (terms, _) => terms.Sum());
        await app.StartAsync();
        await broker.WaitForIdleWorkers("game", 2);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium, Headless = true });
        var page = await browser.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, error) => errors.Add(error);
        var console = new List<string>();
        page.Console += (_, message) => console.Add(message.Text);

        // The page from a loopback server (a page of a public origin may not open the loopback broker: Local Network Access).
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using var site = builder.Build();
        site.Run(context => Serve(context, files));
        await site.StartAsync();

        await page.GotoAsync($"{site.Urls.First()}/index.html?broker={Uri.EscapeDataString(broker.WebSocket)}");

        await Expect(page.Locator("#result")).Not.ToBeEmptyAsync(new() { Timeout = 120_000 });
        Assert.That(await page.Locator("#result").TextContentAsync(), Is.EqualTo("ok session=True login=ann push=welcome ann add=42"),
            "the page's console: " + string.Join(" | ", console));
        Assert.That(errors, Is.Empty, "script errors on the page");
        Assert.That(await broker.Server.InvokeAsync(() => broker.Stats.SessionsOpened), Is.GreaterThanOrEqualTo(1));
    }

    /// <summary>The player's files, from the project, its build output and the Unity package.</summary>
    private static async Task Serve(HttpContext context, Dictionary<string, string> files)
    {
        var path = context.Request.Path.Value ?? "/";
        var file = path == "/ZmqGameWebSocket.jslib" ? files[path]
            : path.StartsWith("/_framework/", StringComparison.Ordinal) ? Path.Combine(files["/_framework/"], path["/_framework/".Length..])
            : Path.Combine(files["/"], path.TrimStart('/'));
        if (!File.Exists(file))
        {
            context.Response.StatusCode = 404;
            return;
        }

        context.Response.ContentType = Path.GetExtension(file) switch
        {
            ".html" => "text/html",
            ".js" or ".jslib" => "text/javascript",
            ".wasm" => "application/wasm",
            ".json" => "application/json",
            _ => "application/octet-stream",
        };
        await context.Response.SendFileAsync(file);
    }
}
