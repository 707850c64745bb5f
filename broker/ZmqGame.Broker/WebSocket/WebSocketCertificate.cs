using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ZmqGame.Broker.WebSocket;

/// <summary>
/// The certificate of a <c>wss://</c> frontend (<c>Broker:WebSocketCertificate</c>): a PKCS#12 file (<c>.pfx</c>,
/// <c>.p12</c>, with <c>Broker:WebSocketCertificatePassword</c> if it has one) or a PEM file holding the certificate and
/// its private key (or the key in <c>Broker:WebSocketCertificateKey</c>).
/// </summary>
internal static class WebSocketCertificate
{
    /// <summary>Loads the certificate; throws <see cref="InvalidOperationException"/> naming the file and why it cannot be used.</summary>
    public static X509Certificate2 Load(string path, string keyPath, string password)
    {
        try
        {
            var extension = Path.GetExtension(path);
            var certificate = extension.Equals(".pfx", StringComparison.OrdinalIgnoreCase) || extension.Equals(".p12", StringComparison.OrdinalIgnoreCase)
                ? X509CertificateLoader.LoadPkcs12FromFile(path, password.Length == 0 ? null : password)
                : X509Certificate2.CreateFromPemFile(path, keyPath.Length == 0 ? null : keyPath);
            if (!certificate.HasPrivateKey)
            {
                certificate.Dispose();
                throw new InvalidOperationException($"the WebSocket certificate {path} has no private key");
            }

            return certificate;
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new InvalidOperationException($"cannot use the WebSocket certificate {path}: {ex.Message}", ex);
        }
    }
}
