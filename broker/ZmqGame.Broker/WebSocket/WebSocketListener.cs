using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using ZmqGame.Hosting.Http;

namespace ZmqGame.Broker.WebSocket;

/// <summary>
/// The Kestrel server of the WebSocket frontend (<c>--websocket</c>): it upgrades requests on the URL's path that offer
/// a ZWS 2.0 subprotocol and runs each as a <see cref="WebSocketConnection"/> of the <see cref="WebSocketRouter"/>;
/// anything else is answered 400 (404 off the path, 503 once the broker stopped accepting) and counted as bad input.
/// TLS (<c>wss://</c>) with the configured certificate. A <c>ws://</c> frontend on the own transport is served in the
/// broker's loop instead (<see cref="WebSocketLoopServer"/>); this server takes <c>wss://</c> and NetMQ mode.
/// </summary>
internal sealed class WebSocketListener : IAsyncDisposable
{
    private readonly HttpEndpoint _endpoint;
    private readonly WebSocketUrl _url;
    private readonly X509Certificate2? _certificate;

    private WebSocketListener(HttpEndpoint endpoint, WebSocketUrl url, X509Certificate2? certificate)
    {
        _endpoint = endpoint;
        _url = url;
        _certificate = certificate;
    }

    /// <summary>The URL clients connect to (a port 0 filled in, every address shown as loopback), once started.</summary>
    public string Endpoint { get; private set; } = string.Empty;

    /// <summary>Builds the server for <see cref="BrokerOptions.WebSocket"/>; throws <see cref="InvalidOperationException"/> for a bad URL or certificate.</summary>
    public static WebSocketListener Build(BrokerOptions options, WebSocketRouter router, ILoggerFactory loggerFactory)
    {
        var url = WebSocketUrl.TryParse(options.WebSocket, out var problem)
            ?? throw new InvalidOperationException($"setting Broker:WebSocket = '{options.WebSocket}' {problem}");
        if (url.Secure && options.WebSocketCertificate.Length == 0)
        {
            throw new InvalidOperationException($"setting Broker:WebSocket = '{options.WebSocket}' is wss:// but Broker:WebSocketCertificate is not set");
        }

        var certificate = url.Secure
            ? WebSocketCertificate.Load(options.WebSocketCertificate, options.WebSocketCertificateKey, options.WebSocketCertificatePassword)
            : null;
        var endpoint = HttpEndpoint.Build(
            options.WebSocket,
            kestrel => kestrel.Listen(url.Address, url.Port, listen =>
            {
                if (certificate is not null)
                {
                    listen.UseHttps(certificate);
                }
            }),
            loggerFactory,
            _ => { },
            app =>
            {
                // Each connection's sender gathers the frames of a turn into one write (WriteBatchingStream).
                app.Use((context, next) =>
                {
                    if (context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgrade)
                    {
                        context.Features.Set<IHttpUpgradeFeature>(new WriteBatchingUpgrade(upgrade));
                    }

                    return next(context);
                });
                app.UseWebSockets();
                app.Run(context => AcceptAsync(context, url, router));
            });
        return new WebSocketListener(endpoint, url, certificate);
    }

    /// <summary>Listens; throws <see cref="BrokerBindException"/> when the address cannot be bound.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _endpoint.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw new BrokerBindException("cannot bind the websocket endpoint " + ex.Message["cannot listen for HTTP on ".Length..]);
        }

        var bound = _endpoint.Addresses.Select(a => new Uri(a.Replace("://*", "://0.0.0.0", StringComparison.Ordinal)).Port).FirstOrDefault(_url.Port);
        Endpoint = _url.Connectable(bound);
    }

    /// <summary>Stops listening and ends every connection.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => _endpoint.StopAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _endpoint.DisposeAsync().ConfigureAwait(false);
        _certificate?.Dispose();
    }

    private static async Task AcceptAsync(HttpContext context, WebSocketUrl url, WebSocketRouter router)
    {
        if (!router.Accepting)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        if (router.AcceptFilter is not null)
        {
            // The per-IP limits, as the own TCP transport applies them at accept: counted and logged by the limiter.
            var address = AddressKey(context.Connection.RemoteIpAddress);
            if (!await router.TryAdmitAsync(address).ConfigureAwait(false))
            {
                context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                return;
            }

            try
            {
                await ServeAsync(context, url, router).ConfigureAwait(false);
            }
            finally
            {
                router.Released(address);
            }

            return;
        }

        await ServeAsync(context, url, router).ConfigureAwait(false);
    }

    /// <summary>An address as the per-IP limits key it: 16 bytes big-endian, IPv4 mapped to IPv6.</summary>
    private static UInt128 AddressKey(IPAddress? address)
    {
        Span<byte> bytes = stackalloc byte[16];
        var v6 = (address ?? IPAddress.IPv6None).AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? address!.MapToIPv6() : address ?? IPAddress.IPv6None;
        v6.TryWriteBytes(bytes, out _);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    private static async Task ServeAsync(HttpContext context, WebSocketUrl url, WebSocketRouter router)
    {
        if (!string.Equals(context.Request.Path.Value is { Length: > 0 } path ? path : "/", url.Path, StringComparison.Ordinal))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        string? refusal = null;
        string? protocol = null;
        if (!context.WebSockets.IsWebSocketRequest)
        {
            refusal = "not a WebSocket upgrade";
        }
        else if ((protocol = Zws.PickProtocol(context.WebSockets.WebSocketRequestedProtocols)) is null)
        {
            refusal = "no ZWS 2.0 subprotocol offered (Sec-WebSocket-Protocol: ZWS2.0/NULL or ZWS2.0)";
        }

        if (refusal is not null)
        {
            router.Post(new ZwsInbound(null, ZwsInboundKind.Rejected, Why: refusal + " from " + context.Connection.RemoteIpAddress));
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("ZmqGame broker: a ZWS 2.0 (ZeroMQ over WebSocket) endpoint; " + refusal + "\n", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        // The answer names the subprotocol taken. Set here rather than through WebSocketAcceptContext.SubProtocol, which
        // refuses libzmq's names: '/' is not a token character (RFC 7230), yet "ZWS2.0/NULL" is what RFC 45 and libzmq use.
        context.Response.Headers.SecWebSocketProtocol = protocol;
        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { DangerousEnableCompression = false }).ConfigureAwait(false);
        var batching = (context.Features.Get<IHttpUpgradeFeature>() as WriteBatchingUpgrade)?.Stream;
        await new WebSocketConnection(socket, protocol!, router, batching).RunAsync(context.RequestAborted).ConfigureAwait(false);
    }
}
