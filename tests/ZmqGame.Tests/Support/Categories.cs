namespace ZmqGame.Tests.Support;

/// <summary>Test categories.</summary>
internal static class Categories
{
    /// <summary>
    /// Behaviour of ZmqGame's own ZMTP transport (handshake checks, size limits, per-connection back-pressure). CI runs
    /// the suite a second time with <c>ZMQGAME_TRANSPORT=netmq</c> (every endpoint on NetMQ, as on systems without epoll
    /// and for Unity clients) and leaves these out of that run.
    /// </summary>
    public const string OwnTransport = "OwnTransport";

    /// <summary>
    /// The NuGet packages, .NET tools and the <c>dotnet new</c> template, packed from the build and installed into a
    /// temporary home (slow: they pack the solution, install tools and build a generated project).
    /// </summary>
    public const string Packaging = "Packaging";
}
