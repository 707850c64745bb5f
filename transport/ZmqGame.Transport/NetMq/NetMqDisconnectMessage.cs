#if NET
using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using NetMQ;

namespace ZmqGame.Transport;

/// <summary>
/// Keeps a closing ROUTER's disconnect message to itself. NetMQ 4.0.4.5 gives the socket's end of every accepted
/// connection's pipe the disconnect message too, and a closing socket writes it into each of those pipes, so every peer
/// still connected receives it, as a one-frame message, when the router closes. libzmq puts the message only on the
/// session's end (it is meant for the router's own reader), and a stock peer is right to choke on it: a Majordomo
/// client or worker gets a message with no protocol header. Before the router closes, <see cref="Forget"/> clears the
/// message on those pipe ends (NetMQ's internals, read by reflection once; on a NetMQ whose internals differ it does
/// nothing).
/// </summary>
internal static class NetMqDisconnectMessage
{
    private const BindingFlags Instance = BindingFlags.Instance | BindingFlags.NonPublic;

    private static readonly FieldInfo? SocketHandle = typeof(NetMQSocket).GetField("m_socketHandle", Instance);
    private static readonly FieldInfo? Pipes = SocketHandle?.FieldType.GetField("m_pipes", Instance);
    private static readonly FieldInfo? Message = typeof(NetMQSocket).Assembly.GetType("NetMQ.Core.Pipe")?.GetField("m_disconnectMsg", Instance);

    /// <summary>True when this NetMQ has the internals <see cref="Forget"/> clears.</summary>
    public static bool Supported => Pipes is not null && Message is not null;

    /// <summary>
    /// Clears the disconnect message of <paramref name="socket"/>'s pipes, on the thread that owns the socket, just before
    /// it is closed; returns how many pipes it cleared.
    /// </summary>
    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "NetMQ's own fields, named; a trimmed NetMQ that lacks them is left alone.")]
    public static int Forget(NetMQSocket socket)
    {
        if (!Supported || SocketHandle!.GetValue(socket) is not { } handle || Pipes!.GetValue(handle) is not IList pipes)
        {
            return 0;
        }

        var empty = default(Msg);
        empty.InitEmpty();
        foreach (var pipe in pipes)
        {
            Message!.SetValue(pipe, empty);
        }

        return pipes.Count;
    }
}
#endif
