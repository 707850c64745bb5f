using MessagePack;
using ZmqGame.Worker;

// Settings: appsettings.json beside the executable, then environment variables (Worker__Broker) and the command line
// (--broker tcp://host:5556, --slots 4). Ctrl-C or SIGTERM: finish the requests in hand, reply, detach, exit 0.
var app = WorkerApp.CreateBuilder(args).Build();

var service = app.MapService("game");

// Command 1: a typed request and its reply (MessagePack bodies). A handler that throws becomes an error reply.
service.Map<Hello, Welcome>(1, (hello, ctx) => new Welcome($"hi {hello.Name}"));

// A session hook: the broker tells the service when a client's session ends (closed, expired, kicked, replaced);
// clients whose session names this service (ZmqGameClientOptions.SessionService = "game") are the ones it hears of.
service.OnClientClosed(e => Console.WriteLine($"session {e.Session.Id} of {e.Session.UserId ?? "-"} ended: {e.Reason}"));

await app.RunAsync();

/// <summary>The request of command 1.</summary>
[MessagePackObject(true)]
public sealed record Hello(string Name);

/// <summary>The reply to command 1.</summary>
[MessagePackObject(true)]
public sealed record Welcome(string Text);
