using System.Buffers.Binary;
using NaCl;

namespace ZmqGame.Protocol;

/// <summary>
/// Proof that a control peer holds the secret key of a trigger key pair, sent once per connection with the
/// <c>auth</c> control command over a CURVE-encrypted connection. NetMQ does not tell the broker which client key a
/// CURVE peer used, so the trigger proves it in the application: 80 bytes =
/// trigger public key (32) · nonce (24) · crypto_box(unix time in ms, u64 big-endian) from the trigger's secret key
/// to the broker's public key (24 = 8 + 16-byte tag). The broker opens the box with its secret key, checks the
/// public key against its allow-list and the time against its clock.
/// </summary>
internal static class TriggerAuth
{
    public const int KeySize = 32;
    public const int NonceSize = 24;
    public const int ProofSize = KeySize + NonceSize + 8 + 16;

    /// <summary>Builds a proof. <paramref name="nonce"/> must be 24 fresh random bytes.</summary>
    public static byte[] CreateProof(ReadOnlySpan<byte> triggerSecretKey, ReadOnlySpan<byte> triggerPublicKey, ReadOnlySpan<byte> brokerPublicKey, long unixTimeMs, ReadOnlySpan<byte> nonce)
    {
        if (triggerSecretKey.Length != KeySize || triggerPublicKey.Length != KeySize || brokerPublicKey.Length != KeySize || nonce.Length != NonceSize)
        {
            throw new ArgumentException("keys are 32 bytes and the nonce 24 bytes");
        }

        var proof = new byte[ProofSize];
        triggerPublicKey.CopyTo(proof);
        nonce.CopyTo(proof.AsSpan(KeySize));
        Span<byte> message = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(message, unixTimeMs);
        using var box = new Curve25519XSalsa20Poly1305(triggerSecretKey, brokerPublicKey);
        box.Encrypt(proof.AsSpan(KeySize + NonceSize), message, nonce);
        return proof;
    }

    /// <summary>
    /// Opens a proof with the broker's secret key. True, with the trigger's public key and the time it claims, when
    /// the box opens; the caller checks the key against its allow-list and the time against its clock.
    /// </summary>
    public static bool TryOpen(ReadOnlySpan<byte> proof, ReadOnlySpan<byte> brokerSecretKey, out byte[] triggerPublicKey, out long unixTimeMs)
    {
        triggerPublicKey = Array.Empty<byte>();
        unixTimeMs = 0;
        if (proof.Length != ProofSize || brokerSecretKey.Length != KeySize)
        {
            return false;
        }

        var publicKey = proof.Slice(0, KeySize);
        Span<byte> message = stackalloc byte[8];
        using var box = new Curve25519XSalsa20Poly1305(brokerSecretKey, publicKey);
        if (!box.TryDecrypt(message, proof.Slice(KeySize + NonceSize), proof.Slice(KeySize, NonceSize)))
        {
            return false;
        }

        triggerPublicKey = publicKey.ToArray();
        unixTimeMs = BinaryPrimitives.ReadInt64BigEndian(message);
        return true;
    }
}
