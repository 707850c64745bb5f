using Microsoft.Extensions.Logging;
using ZmqGame.Transport;

namespace ZmqGame.Worker.Internal;

/// <summary>
/// One event, run inline on the I/O thread (<see cref="IInlineWork"/>) or handed to the thread pool, as requests are: its
/// hooks or handler run, then the event is answered (an empty REPLY), at once on the I/O thread when they completed
/// there without waiting, else through the engine's queue, whatever they did. A hook or handler never takes the worker down.
/// </summary>
internal sealed class EventWork : IThreadPoolWorkItem, IInlineWork
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
    private bool _done;
    private bool _handedOff;

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

    /// <summary>Runs on the thread pool: a group asked, or it once held the I/O thread past the inline budget.</summary>
    public bool OnThreadPool => _route?.OnThreadPool ?? _slot.Service.ClientHooksOnThreadPool;

    /// <summary>Counts an inline run (I/O thread).</summary>
    public void CountInline() => (_route?.Inline ?? _slot.Service.ClientHooksInline).Ran();

    /// <summary>On the thread pool.</summary>
    public void Execute() => _ = AnswerWhenDoneAsync(RunAsync());

    /// <summary>Inline, on the I/O thread.</summary>
    public void Run()
    {
        if (OnThreadPool)
        {
            // Queued inline behind an event of this kind that has just held the I/O thread too long.
            _handedOff = true;
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
            return;
        }

        var task = RunAsync();
        if (task.IsCompleted)
        {
            _done = true;
        }
        else
        {
            _ = AnswerWhenDoneAsync(task);
        }
    }

    /// <summary>On the I/O thread's new thread, while this event still holds the old one.</summary>
    public void TakenOver()
    {
        if (_route is not null)
        {
            if (!_route.Inline.TakenOver())
            {
                return;
            }

            _route.OnThreadPool = true;
            _engine.MovedToThreadPool(_slot.Service, $"the handler of event command {_route.Command}");
        }
        else if (_slot.Service.ClientHooksInline.TakenOver())
        {
            _slot.Service.ClientHooksOnThreadPool = true;
            _engine.MovedToThreadPool(_slot.Service, "a client hook");
        }
    }

    /// <summary>Back on the I/O thread after an inline run.</summary>
    public void AfterRun(bool takenOver)
    {
        if (_done && !_handedOff)
        {
            _engine.CompleteOnLoop(_slot, _generation, []);
        }
    }

    private Task RunAsync() => _client is not null ? RunHooksAsync(_client) : RunTriggerAsync();

    private async Task AnswerWhenDoneAsync(Task run)
    {
        await run.ConfigureAwait(false);
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
