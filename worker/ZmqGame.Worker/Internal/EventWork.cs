using Microsoft.Extensions.Logging;

namespace ZmqGame.Worker.Internal;

/// <summary>
/// One event handed from the I/O thread to the thread pool: its hooks or handler run, then the event is answered
/// (an empty REPLY) through the engine's queue, whatever they did. A hook or handler never takes the worker down.
/// </summary>
internal sealed class EventWork : IThreadPoolWorkItem
{
    private readonly WorkerEngine _engine;
    private readonly Slot _slot;
    private readonly int _generation;
    private readonly ILogger _logger;
    private readonly WorkerCounters _counters;
    private readonly ClientEvent? _client;
    private readonly Func<ClientEvent, ValueTask>[] _hooks = [];
    private readonly EventRoute? _route;
    private readonly TriggerEvent? _trigger;
    private readonly byte[] _payload = [];

    private EventWork(WorkerEngine engine, Slot slot, int generation, ILogger logger, WorkerCounters counters)
    {
        _engine = engine;
        _slot = slot;
        _generation = generation;
        _logger = logger;
        _counters = counters;
    }

    private EventWork(WorkerEngine engine, Slot slot, int generation, ILogger logger, WorkerCounters counters, ClientEvent client, Func<ClientEvent, ValueTask>[] hooks)
        : this(engine, slot, generation, logger, counters)
    {
        _client = client;
        _hooks = hooks;
    }

    private EventWork(WorkerEngine engine, Slot slot, int generation, ILogger logger, WorkerCounters counters, EventRoute route, TriggerEvent trigger, byte[] payload)
        : this(engine, slot, generation, logger, counters)
    {
        _route = route;
        _trigger = trigger;
        _payload = payload;
    }

    public static EventWork ForClient(WorkerEngine engine, Slot slot, int generation, ILogger logger, WorkerCounters counters, ClientEvent client, Func<ClientEvent, ValueTask>[] hooks) =>
        new(engine, slot, generation, logger, counters, client, hooks);

    public static EventWork ForTrigger(WorkerEngine engine, Slot slot, int generation, ILogger logger, WorkerCounters counters, EventRoute route, TriggerEvent trigger, byte[] payload) =>
        new(engine, slot, generation, logger, counters, route, trigger, payload);

    public void Execute() => _ = RunAsync();

    private async Task RunAsync()
    {
        if (_client is not null)
        {
            await RunHooksAsync(_client).ConfigureAwait(false);
        }
        else
        {
            await RunTriggerAsync().ConfigureAwait(false);
        }

        try
        {
            _engine.PostCompletion(_slot, _generation, []);
        }
        catch (ObjectDisposedException)
        {
            // The worker was torn down (shutdown timeout): nobody reads this answer any more.
        }
    }

    private async Task RunHooksAsync(ClientEvent client)
    {
        foreach (var hook in _hooks)
        {
            try
            {
                await hook(client).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Interlocked.Increment(ref _counters.EventFailures);
                Log.ClientHookFailed(_logger, ex, client.Service, client.IsClosed ? "client closed" : "client connected", client.Session.ToString());
            }
        }
    }

    private async Task RunTriggerAsync()
    {
        var trigger = _trigger!;
        try
        {
            await _route!.Invoke(_payload, trigger).ConfigureAwait(false);
        }
        catch (BadPayloadException ex)
        {
            Interlocked.Increment(ref _counters.BadEvents);
            Log.BadEvent(_logger, trigger.Service, $"event command {trigger.Command}: {ex.Message}");
        }
        catch (Exception ex)
        {
            Interlocked.Increment(ref _counters.EventFailures);
            Log.EventHandlerFailed(_logger, ex, trigger.Service, trigger.Command);
        }
    }
}
