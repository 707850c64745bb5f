using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ZmqGame.Tests.Support;
using static ZmqGame.Tests.WebSocket.WebSocketFrontendTests;

namespace ZmqGame.Tests.WebSocket;

/// <summary>The WebSocket frontend on wss://, with a self-signed certificate made by the test (PKCS#12 with a password, or PEM).</summary>
[TestFixture]
[NonParallelizable]
public sealed class WebSocketTlsTests
{
    [TestCase("pfx")]
    [TestCase("pem")]
    public async Task Wss_WithASelfSignedCertificate_ServesStockMdpOverTls(string format)
    {
        using var certificate = SelfSigned();
        var folder = Directory.CreateTempSubdirectory("zmqgame-wss-");
        try
        {
            var path = Path.Combine(folder.FullName, "broker." + format);
            if (format == "pfx")
            {
                await File.WriteAllBytesAsync(path, certificate.Export(X509ContentType.Pfx, "secret"));
            }
            else
            {
                await File.WriteAllTextAsync(path, certificate.ExportCertificatePem() + "\n" + certificate.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
            }

            await using var broker = await StartBrokerAsync(o =>
            {
                o.WebSocket = "wss://127.0.0.1:0/zws";
                o.WebSocketCertificate = path;
                o.WebSocketCertificatePassword = format == "pfx" ? "secret" : string.Empty;
            });
            using var worker = await broker.RawWorkerAsync("echo");

            Assert.That(broker.WebSocket, Does.Match(@"^wss://127\.0\.0\.1:\d+/zws$"));
            await using var client = await ZwsTestClient.ConnectAsync(broker.WebSocket, trusted: certificate);
            await MdpRoundTripAsync(client, worker, "echo", "over tls");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Test]
    public async Task Wss_WithoutACertificate_DoesNotStart()
    {
        var error = Assert.ThrowsAsync<ZmqGame.Broker.BrokerBindException>(async () => await StartBrokerAsync(o => o.WebSocket = "wss://127.0.0.1:0"));
        Assert.That(error!.Message, Does.Contain("WebSocketCertificate"));
        await Task.CompletedTask;
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }
}
