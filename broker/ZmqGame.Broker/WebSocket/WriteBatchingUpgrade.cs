using Microsoft.AspNetCore.Http.Features;

namespace ZmqGame.Broker.WebSocket;

/// <summary>
/// Hands the WebSocket handshake a <see cref="WriteBatchingStream"/> over the upgraded connection, so that the
/// connection's sender can gather its frames (<see cref="Stream"/> once upgraded).
/// </summary>
internal sealed class WriteBatchingUpgrade(IHttpUpgradeFeature inner) : IHttpUpgradeFeature
{
    public bool IsUpgradableRequest => inner.IsUpgradableRequest;

    /// <summary>The stream returned by <see cref="UpgradeAsync"/>; null before.</summary>
    public WriteBatchingStream? Stream { get; private set; }

    public async Task<Stream> UpgradeAsync()
    {
        var stream = new WriteBatchingStream(await inner.UpgradeAsync().ConfigureAwait(false));
        Stream = stream;
        return stream;
    }
}
