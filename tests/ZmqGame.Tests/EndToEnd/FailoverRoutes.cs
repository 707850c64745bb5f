using MessagePack;
using ZmqGame.Worker;

namespace ZmqGame.Tests.EndToEnd;

/// <summary>The <c>game</c> service of the failover tests, and what its handlers ran.</summary>
public sealed class FailoverRoutes
{
    /// <summary>Sleeps <see cref="Work.Ms"/> and echoes; declared idempotent.</summary>
    public const int Idempotent = 1;

    /// <summary>Sleeps <see cref="Work.Ms"/> and echoes; not idempotent.</summary>
    public const int Once = 2;

    /// <summary>Logs the caller in as <see cref="Name.Value"/> and joins group <c>room:</c> + the name.</summary>
    public const int Login = 3;

    /// <summary>The caller's user id, as the worker sees it.</summary>
    public const int WhoAmI = 4;

    private long _idempotentRuns;
    private Hold? _hold;

    public long IdempotentRuns => Interlocked.Read(ref _idempotentRuns);

    /// <summary>
    /// From now on, runs of the idempotent route (counted) wait until <see cref="Hold.Release"/>: a test kills a broker
    /// once <see cref="Hold.Entered"/> says one is running, so that a request is surely in a handler at the kill.
    /// </summary>
    public Hold HoldIdempotent() => _hold = new Hold();

    public static FailoverRoutes Map(WorkerApp app)
    {
        var routes = new FailoverRoutes();
        var game = app.MapService("game");
        game.MapGroup(idempotent: true).Map<Work, Work>(Idempotent, async (work, ctx) =>
        {
            Interlocked.Increment(ref routes._idempotentRuns);
            if (routes._hold is { } hold)
            {
                hold.Enter();
                await hold.Released;
            }

            await Task.Delay(work.Ms, ctx.RequestAborted);
            return work;
        });
        game.Map<Work, Work>(Once, async (work, ctx) =>
        {
            await Task.Delay(work.Ms, ctx.RequestAborted);
            return work;
        });
        game.Map<Name, Name>(Login, (name, ctx) =>
        {
            ctx.Login(name.Value);
            ctx.JoinGroup("room:" + name.Value);
            return name;
        });
        game.Map<Name, Name>(WhoAmI, (_, ctx) => new Name(ctx.Session.UserId ?? "-"));
        return routes;
    }

    public sealed class Hold
    {
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completes when a run of the idempotent route waits in the hold.</summary>
        public Task Entered => _entered.Task;

        internal Task Released => _released.Task;

        public void Release() => _released.TrySetResult();

        internal void Enter() => _entered.TrySetResult();
    }

    [MessagePackObject(true)]
    public record Work(int Ms, long Seq);

    [MessagePackObject(true)]
    public record Name(string Value);
}
