using System.Collections.Concurrent;
using System.Reflection;

namespace ZmqGame.Unity.Runner;

/// <summary>
/// The main thread of a Unity player, for one MonoBehaviour: its messages called by name (as Unity finds them), and a
/// SynchronizationContext that runs the continuations posted to it between frames (as UnitySynchronizationContext does),
/// so that code after an <c>await</c> in the script runs on this thread.
/// </summary>
internal sealed class PlayerLoop : SynchronizationContext
{
    private readonly BlockingCollection<Action> work = [];
    private readonly object script;

    public PlayerLoop(object script) => this.script = script;

    /// <summary>Calls the script's message <paramref name="name"/> (Awake, Start, Update, OnGUI, …) if it has one.</summary>
    public void Send(string name) =>
        script.GetType().GetMethod(name, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic, Type.EmptyTypes)?.Invoke(script, null);

    /// <summary>Runs <paramref name="action"/> on the main thread between frames.</summary>
    public void Enqueue(Action action) => work.Add(action);

    /// <summary>Stops <see cref="Run"/> after the current frame.</summary>
    public void Stop() => work.CompleteAdding();

    /// <inheritdoc/>
    public override void Post(SendOrPostCallback d, object? state) => Enqueue(() => d(state));

    /// <summary>Frames until <see cref="Stop"/>: the work posted meanwhile, then Update, about sixty times a second.</summary>
    public void Run()
    {
        SetSynchronizationContext(this);
        var frame = TimeSpan.FromMilliseconds(16);
        while (!work.IsCompleted)
        {
            if (work.TryTake(out var action, frame))
            {
                action();
                while (work.TryTake(out action))
                {
                    action();
                }
            }

            Send("Update");
        }
    }
}
