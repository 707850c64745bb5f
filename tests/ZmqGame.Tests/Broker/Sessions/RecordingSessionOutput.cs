using System.Buffers.Binary;
using Microsoft.Extensions.Logging.Abstractions;
using ZmqGame.Broker;
using ZmqGame.Broker.Sessions;
using ZmqGame.Protocol;
using ZmqGame.Transport;

namespace ZmqGame.Tests.Broker.Sessions;

/// <summary>
/// What the session layer is wired to, recorded: messages to clients (connections take them while
/// <see cref="Accepting"/>), and a dispatcher without workers whose waiting events are read back as <see cref="Events"/>.
/// </summary>
internal sealed class RecordingSessionOutput : IClientOutput, IWorkerChannel, IClientChannel
{
    public RecordingSessionOutput()
    {
        var stats = new BrokerStats();
        var options = new BrokerOptions { MaxQueuedPerService = int.MaxValue };
        var badInput = new BadInputLog(NullLogger.Instance, stats, TimeProvider.System, TimeSpan.FromSeconds(10));
        Dispatcher = new Dispatcher(options, this, this, Pool, stats, badInput, NullLogger.Instance, TimeProvider.System);
    }

    public bool Accepting { get; set; } = true;

    /// <summary>The requests the sessions rent their events from.</summary>
    public RequestPool Pool { get; } = new();

    /// <summary>Where the sessions submit their events: it has no workers, so they wait in their services.</summary>
    public Dispatcher Dispatcher { get; }

    public List<(byte[] Identity, OutboundMessage Message)> Sent { get; } = [];

    /// <summary>Commands to workers (a test that registers one sees the HEARTBEAT answering a ZmqGame worker's READY).</summary>
    public List<(byte[] Worker, byte Command)> Commands { get; } = [];

    /// <summary>The events submitted so far, in the order they were submitted.</summary>
    public List<(string Service, EventHeader Header, byte[] SessionFrame, byte[] Payload, Session? Session)> Events =>
        Dispatcher.Services
            .SelectMany(service => service.Events.Select(ev => (Service: service, Event: ev)))
            .OrderBy(e => BinaryPrimitives.ReadUInt64BigEndian(e.Event.ClientId[1..]))
            .Select(e => (e.Service.NameText, ReadHeader(e.Event), e.Event.Body[1].Slice().ToArray(), e.Event.Body[2].Slice().ToArray(), e.Event.Session))
            .ToList();

    public bool TrySendToClient(byte[] identity, OutboundMessage message)
    {
        if (!Accepting)
        {
            return false;
        }

        Sent.Add((identity, message));
        return true;
    }

    bool IWorkerChannel.SendRequest(ZmqGame.Broker.Worker worker, PendingRequest request) => throw new InvalidOperationException("no workers");

    void IWorkerChannel.SendCommand(ReadOnlySpan<byte> workerIdentity, byte command) => Commands.Add((workerIdentity.ToArray(), command));

    void IClientChannel.ForwardReply(ZmqGame.Broker.Worker worker, PendingRequest request, FrameBuffer reply, int bodyAt) => throw new InvalidOperationException("no workers");

    void IClientChannel.SendStatus(PendingRequest request, Status status, string message) => throw new InvalidOperationException("events get no status");

    private static EventHeader ReadHeader(PendingRequest ev)
    {
        Assert.That(EventHeader.TryRead(ev.Body[0].Slice(), out var header), Is.True);
        return header;
    }
}
