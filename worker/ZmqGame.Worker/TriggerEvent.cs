using ZmqGame.Protocol;

namespace ZmqGame.Worker;

/// <summary>
/// A trigger event delivered to one worker of the service (the trigger's <c>worker</c> action): the context of a
/// <see cref="RouteGroup.MapEvent{T}(int, Action{T, TriggerEvent})"/> handler. One instance per event.
/// </summary>
/// <remarks>Session actions made here go out on the slot that holds the event, before the event is answered.</remarks>
public sealed class TriggerEvent
{
    internal TriggerEvent(string service, int command, SessionSender sessions)
    {
        Service = service;
        Command = command;
        Sessions = sessions;
    }

    /// <summary>The service that received the event.</summary>
    public string Service { get; }

    /// <summary>The event's command id (the route in the service's event table).</summary>
    public int Command { get; }

    /// <summary>Session actions on any target, sent through this event's slot.</summary>
    public SessionSender Sessions { get; }

    /// <inheritdoc cref="SessionSender.Push{T}"/>
    public void Push<T>(PushTarget target, int command, T message) => Sessions.Push(target, command, message);

    /// <inheritdoc cref="SessionSender.Kick"/>
    public void Kick(PushTarget target, string reason) => Sessions.Kick(target, reason);

    /// <inheritdoc/>
    public override string ToString() => $"trigger event {Command} service {Service}";
}
