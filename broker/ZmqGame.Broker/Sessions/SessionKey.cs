using System.Security.Cryptography;
using Microsoft.Extensions.Logging;

namespace ZmqGame.Broker.Sessions;

/// <summary>The key that signs resume tickets: from a file (created if missing), or random for this process only.</summary>
internal static class SessionKey
{
    private const int Size = 32;

    public static byte[] Load(string path, ILogger logger)
    {
        if (string.IsNullOrEmpty(path))
        {
            SessionLog.EphemeralKey(logger);
            return RandomNumberGenerator.GetBytes(Size);
        }

        if (File.Exists(path))
        {
            byte[] key;
            try
            {
                key = Convert.FromBase64String(File.ReadAllText(path).Trim());
            }
            catch (FormatException)
            {
                throw new ArgumentException($"invalid broker options: the session key file {path} does not hold a base64 key");
            }

            if (key.Length < 16)
            {
                throw new ArgumentException($"invalid broker options: the session key in {path} is shorter than 16 bytes");
            }

            return key;
        }

        var created = RandomNumberGenerator.GetBytes(Size);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var file = new StreamWriter(path, options))
        {
            file.Write(Convert.ToBase64String(created));
        }

        return created;
    }
}
