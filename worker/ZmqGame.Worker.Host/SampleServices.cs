using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ZmqGame.Worker.Host;

/// <summary>The services the worker executable can host, chosen with <c>--service</c>.</summary>
public static class SampleServices
{
    /// <summary>Raw service: returns the body frames unchanged (stock MDP clients, the MDP benchmark).</summary>
    public const string Echo = "echo";

    /// <summary>Typed service with the routes of <see cref="GameCommands"/>.</summary>
    public const string Game = "game";

    /// <summary>Typed service with sessions: the chat lobby of <see cref="LobbyCommands"/>.</summary>
    public const string Lobby = "lobby";

    /// <summary>Default of <c>--service</c>.</summary>
    public const string Default = "echo,game,lobby";

    /// <summary>Maps the named services (comma-separated) on the app.</summary>
    /// <param name="app">The app to map them on.</param>
    /// <param name="services">Service names, comma-separated.</param>
    /// <param name="timeProvider">Clock of the <c>game</c> service; the system clock by default.</param>
    /// <param name="loggerFactory">Logging of the <c>lobby</c> service; by default the app's host's, else none.</param>
    /// <exception cref="ArgumentException">A name is not a sample service.</exception>
    public static void Map(WorkerApp app, string services, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(services);
        var clock = timeProvider ?? TimeProvider.System;
        var logs = loggerFactory ?? app.Services?.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        var names = services.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0)
        {
            throw new ArgumentException($"no service named; use --service {Default}", nameof(services));
        }

        foreach (var name in names.Distinct(StringComparer.Ordinal))
        {
            switch (name)
            {
                case Echo:
                    MapEcho(app);
                    break;
                case Game:
                    MapGame(app, clock);
                    break;
                case Lobby:
                    MapLobby(app, logs.CreateLogger("ZmqGame.Worker.Host.Lobby"));
                    break;
                default:
                    throw new ArgumentException($"unknown sample service '{name}' (known: {Echo}, {Game}, {Lobby})", nameof(services));
            }
        }
    }

    /// <summary>The raw <c>echo</c> service.</summary>
    public static RouteGroup MapEcho(WorkerApp app) =>
        app.MapService(Echo).MapRaw((frames, _) => frames);

    /// <summary>The typed <c>game</c> service.</summary>
    public static RouteGroup MapGame(WorkerApp app, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(clock);
        var game = app.MapService(Game);
        game.Map<PingRequest, PongReply>(GameCommands.Ping, (ping, _) => new PongReply(ping.Seq, clock.GetUtcNow().ToUnixTimeMilliseconds()));
        game.Map<AddRequest, AddReply>(GameCommands.Add, (add, _) => new AddReply(checked(add.A + add.B)));
        game.Map<FailRequest, AddReply>(GameCommands.Fail, (fail, _) => throw new InvalidOperationException(fail.Message ?? "requested failure"));
        game.Map<SleepRequest, SleepReply>(GameCommands.Sleep, async (sleep, ctx) =>
        {
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(0, sleep.Ms)), clock, ctx.RequestAborted).ConfigureAwait(false);
            return new SleepReply(sleep.Ms);
        });
        game.Map<byte[], byte[]>(GameCommands.Echo, static (bytes, _) => bytes);
        return game;
    }

    /// <summary>The typed <c>lobby</c> service (chat rooms on sessions, groups and pushes); see <see cref="LobbyCommands"/>.</summary>
    public static RouteGroup MapLobby(WorkerApp app, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(logger);
        return LobbyService.Map(app, logger);
    }
}
