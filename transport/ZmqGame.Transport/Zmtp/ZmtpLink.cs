namespace ZmqGame.Transport;

/// <summary>
/// A connection loop's DEALER connection on the own transport, as its owner hands it out (<see cref="IDealerLink"/>):
/// sends while the connection is open, and on <see cref="Close"/> leaves the owner's set of open links. Loop thread.
/// </summary>
internal sealed class ZmtpLink(HashSet<ZmtpLink> links) : IDealerLink
{
    public ZmtpDealer? Dealer { get; set; }

    public bool TrySend(IReadOnlyList<byte[]> frames)
    {
        if (Dealer is not { IsClosed: false } dealer)
        {
            return false;
        }

        dealer.Send(frames);
        return true;
    }

    public void Close()
    {
        links.Remove(this);
        Dealer?.Close(quiet: true);
    }
}
