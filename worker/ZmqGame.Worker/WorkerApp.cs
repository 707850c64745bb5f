using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ZmqGame.Protocol;
using ZmqGame.Worker.Internal;

namespace ZmqGame.Worker;

/// <summary>
/// A worker process: services (MDP worker pools) with their routes and hooks, served by request slots that
/// pull from the broker. Map routes, then <see cref="RunAsync"/> (or <see cref="StartAsync"/> / <see cref="StopAsync"/>).
/// </summary>
/// <example>
/// <code>
/// var app = WorkerApp.CreateBuilder(args).Build();
/// var game = app.MapService("game");
/// game.Map&lt;Ping, Pong&gt;(GameCommands.Ping, (ping, ctx) =&gt; new Pong(ping.Seq));
/// await app.RunAsync();
/// </code>
/// </example>
public sealed class WorkerApp : IAsyncDisposable
{
    private readonly Dictionary<string, ServiceDefinition> _services = new(StringComparer.Ordinal);
    private readonly Hooks _hooks = new();
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly IHost? _host;
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private WorkerEngine? _engine;
    private int _started;
    private bool _stopped;

    internal WorkerApp(WorkerOptions options, ILoggerFactory? loggerFactory, TimeProvider? timeProvider, IHost? host)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("ZmqGame.Worker");
        _timeProvider = timeProvider ?? TimeProvider.System;
        _host = host;
        Sessions = new SessionSender(() => Volatile.Read(ref _engine), slot: null);
        Metrics = new Metrics.WorkerMetrics(() => Volatile.Read(ref _engine));
    }

    /// <summary>
    /// Session actions for code outside handlers (background services, timers): push, kick, join, leave, bind,
    /// unbind. Sent through the first connected slot; dropped and logged while no slot is connected. Throws before start.
    /// </summary>
    public SessionSender Sessions { get; }

    /// <summary>Settings in use (validated). Change them before start only.</summary>
    public WorkerOptions Options { get; }

    /// <summary>The generic host's services when built by <see cref="CreateBuilder"/>; null for <see cref="Create"/>.</summary>
    public IServiceProvider? Services => _host?.Services;

    internal WorkerCounters Counters { get; } = new();

    /// <summary>The app's instruments (meter <c>ZmqGame.Worker</c>), exported by the worker host's <c>/metrics</c>.</summary>
    internal Metrics.WorkerMetrics Metrics { get; }

    /// <summary>The running engine (its slots and links) once started; null before.</summary>
    internal WorkerEngine? Engine => Volatile.Read(ref _engine);

    /// <summary>
    /// A builder on the .NET generic host: appsettings.json, environment, command line (<c>--broker</c>,
    /// <c>--slots</c>, or any <c>--Worker:Key value</c>), NLog logging, SIGTERM / Ctrl-C graceful stop.
    /// </summary>
    public static WorkerAppBuilder CreateBuilder(string[]? args = null) => new(args ?? []);

    /// <summary>An app without the generic host, for tests and embedding. Call <see cref="StartAsync"/> and <see cref="StopAsync"/>.</summary>
    public static WorkerApp Create(WorkerOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null) =>
        new(options.Clone(), loggerFactory, timeProvider, host: null);

    /// <summary>
    /// The routes of an MDP service (a worker pool). Mapping the same name again returns the same service.
    /// </summary>
    /// <param name="service">Service name: 1 to 255 UTF-8 bytes, not starting with <c>mmi.</c>.</param>
    /// <param name="slots">Concurrent requests this process serves for the service; default <see cref="WorkerOptions.Slots"/>.</param>
    public RouteGroup MapService(string service, int? slots = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        ThrowIfStarted();
        var length = Encoding.UTF8.GetByteCount(service);
        if (length > Mdp.MaxServiceLength || service.StartsWith("mmi.", StringComparison.Ordinal))
        {
            throw new ArgumentException($"Service name '{service}' must be 1 to {Mdp.MaxServiceLength} bytes and not start with 'mmi.'.", nameof(service));
        }

        if (slots is < 1 or > 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(slots), slots, "slots must be between 1 and 1024");
        }

        if (!_services.TryGetValue(service, out var definition))
        {
            definition = new ServiceDefinition(service, slots ?? Options.Slots);
            definition.Root = new RouteGroup(this, definition, parent: null);
            _services.Add(service, definition);
        }
        else if (slots is { } count)
        {
            definition.Slots = count;
        }

        return definition.Root!;
    }

    /// <summary>Runs before every handler of every service, before service and group hooks.</summary>
    public WorkerApp OnBeforeRequest(Action<RequestContext> hook) => Add(_hooks.Before, Hooks.Wrap(hook));

    /// <inheritdoc cref="OnBeforeRequest(Action{RequestContext})"/>
    [OverloadResolutionPriority(1)]
    public WorkerApp OnBeforeRequest(Func<RequestContext, ValueTask> hook) => Add(_hooks.Before, hook);

    /// <summary>Runs after every request, whatever its status, after service and group hooks.</summary>
    public WorkerApp OnAfterRequest(Action<RequestContext> hook) => Add(_hooks.After, Hooks.Wrap(hook));

    /// <inheritdoc cref="OnAfterRequest(Action{RequestContext})"/>
    [OverloadResolutionPriority(1)]
    public WorkerApp OnAfterRequest(Func<RequestContext, ValueTask> hook) => Add(_hooks.After, hook);

    /// <summary>Runs when any hook or handler throws (after the error hooks of groups and services).</summary>
    public WorkerApp OnError(Action<RequestContext, Exception> hook) => Add(_hooks.Error, Hooks.Wrap(hook));

    /// <inheritdoc cref="OnError(Action{RequestContext, Exception})"/>
    [OverloadResolutionPriority(1)]
    public WorkerApp OnError(Func<RequestContext, Exception, ValueTask> hook) => Add(_hooks.Error, hook);

    /// <summary>
    /// Runs when a client session of any service starts, before the service's own connected hooks. A hook that
    /// throws is logged and counted; the event is still answered.
    /// </summary>
    public WorkerApp OnClientConnected(Action<ClientEvent> hook) => Add(_hooks.Connected, Hooks.Wrap(hook));

    /// <inheritdoc cref="OnClientConnected(Action{ClientEvent})"/>
    [OverloadResolutionPriority(1)]
    public WorkerApp OnClientConnected(Func<ClientEvent, ValueTask> hook) => Add(_hooks.Connected, hook);

    /// <summary>
    /// Runs when a client session of any service ends, after the service's own closed hooks. It may run twice for
    /// one session after a worker crash. A hook that throws is logged and counted; the event is still answered.
    /// </summary>
    public WorkerApp OnClientClosed(Action<ClientEvent> hook) => Add(_hooks.Closed, Hooks.Wrap(hook));

    /// <inheritdoc cref="OnClientClosed(Action{ClientEvent})"/>
    [OverloadResolutionPriority(1)]
    public WorkerApp OnClientClosed(Func<ClientEvent, ValueTask> hook) => Add(_hooks.Closed, hook);

    /// <summary>Connects every slot of every service to the broker (READY). Routes are frozen from here on.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default) =>
        _host is not null ? _host.StartAsync(cancellationToken) : StartCoreAsync(cancellationToken);

    /// <summary>
    /// Graceful stop: stop pulling, finish and reply to held requests (bounded by <see cref="WorkerOptions.ShutdownTimeout"/>
    /// or by <paramref name="cancellationToken"/>), DISCONNECT every slot, close the sockets.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken = default) =>
        _host is not null ? _host.StopAsync(cancellationToken) : StopCoreAsync(cancellationToken);

    /// <summary>Starts, runs until <paramref name="cancellationToken"/> fires (or SIGTERM / Ctrl-C under the generic host), stops.</summary>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        if (_host is not null)
        {
            await _host.RunAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        await StartCoreAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, _timeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Asked to stop.
        }

        await StopCoreAsync(CancellationToken.None).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            if (Volatile.Read(ref _started) != 0)
            {
                await StopCoreAsync(CancellationToken.None).ConfigureAwait(false);
            }

            if (_host is IAsyncDisposable asyncHost)
            {
                await asyncHost.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                _host.Dispose();
            }
        }
        else
        {
            await StopCoreAsync(CancellationToken.None).ConfigureAwait(false);
        }

        _engine?.Dispose();
        Metrics.Dispose();
        _lifecycle.Dispose();
    }

    internal async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Interlocked.Exchange(ref _started, 1) != 0)
            {
                throw new InvalidOperationException("The worker app can be started once.");
            }

            if (_services.Count == 0)
            {
                throw new InvalidOperationException("No service mapped: call MapService(...) before starting the worker.");
            }

            foreach (var service in _services.Values)
            {
                if (!service.HasHandlers)
                {
                    throw new InvalidOperationException($"Service '{service.Name}' has no routes, event handlers or client hooks.");
                }

                service.CompileClientHooks(_hooks);

                foreach (var route in service.Routes.Values)
                {
                    route.Compile(_hooks);
                }

                service.RawRoute?.Compile(_hooks);
            }

            var engine = new WorkerEngine([.. _services.Values], Options, _logger, _timeProvider, Counters) { Metrics = Metrics };
            engine.Start();
            Volatile.Write(ref _engine, engine);
            Log.Started(_logger, _services.Count, engine.SlotCount, Options.Broker);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    internal async Task StopCoreAsync(CancellationToken cancellationToken)
    {
        await _lifecycle.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (_engine is null || _stopped)
            {
                return;
            }

            _stopped = true;
            await _engine.StopAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    internal void ThrowIfStarted()
    {
        if (Volatile.Read(ref _started) != 0)
        {
            throw new InvalidOperationException("Routes and hooks must be mapped before the worker app starts.");
        }
    }

    private WorkerApp Add<T>(List<T> list, T hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        ThrowIfStarted();
        list.Add(hook);
        return this;
    }
}
