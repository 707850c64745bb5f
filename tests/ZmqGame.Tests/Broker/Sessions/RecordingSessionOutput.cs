using ZmqGame.Broker.Sessions;
using ZmqGame.Protocol;

namespace ZmqGame.Tests.Broker.Sessions;

/// <summary>A transport for the session layer that records what it is given; connections take messages while <see cref="Accepting"/>.</summary>
internal sealed class RecordingSessionOutput : ISessionOutput
{
    public bool Accepting { get; set; } = true;

    public List<(byte[] Identity, OutboundMessage Message)> Sent { get; } = [];

    public List<(string Service, EventHeader Header, byte[] SessionFrame, byte[] Payload, Session? Session)> Events { get; } = [];

    public bool TrySendToClient(byte[] identity, OutboundMessage message)
    {
        if (!Accepting)
        {
            return false;
        }

        Sent.Add((identity, message));
        return true;
    }

    public void SubmitEvent(byte[] service, in EventHeader header, byte[] sessionFrame, byte[] payload, Session? session) =>
        Events.Add((System.Text.Encoding.UTF8.GetString(service), header, sessionFrame, payload, session));
}
