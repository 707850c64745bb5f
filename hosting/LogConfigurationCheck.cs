using System.Xml;
using NLog;
using NLog.Config;

namespace ZmqGame.Hosting;

/// <summary>
/// Reads the nlog.config beside the executable once, strictly, before NLog does: NLog itself ignores a file it cannot
/// read, and the program would run without a line of log. Compiled into the broker and the worker library.
/// </summary>
internal static class LogConfigurationCheck
{
    /// <summary>The file NLog reads beside the executable.</summary>
    public const string FileName = "nlog.config";

    /// <summary>
    /// Throws <see cref="InvalidDataException"/> with one line naming the file and what is wrong with it when
    /// <paramref name="directory"/> holds an nlog.config that NLog cannot load; does nothing when there is none.
    /// </summary>
    public static void Check(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            return;
        }

        using var factory = new LogFactory { ThrowConfigExceptions = true, ThrowExceptions = false };
        LogFormat.Register(factory.Setup());
        try
        {
            _ = new XmlLoggingConfiguration(path, factory);
        }
        catch (Exception ex) when (ex is NLogConfigurationException or XmlException or IOException or UnauthorizedAccessException)
        {
            var inner = ex;
            while (inner.InnerException is not null)
            {
                inner = inner.InnerException;
            }

            var reason = ex.Message.Contains(inner.Message, StringComparison.Ordinal) ? ex.Message : ex.Message + " " + inner.Message;
            throw new InvalidDataException($"cannot read the logging configuration {path}: {reason.ReplaceLineEndings(" ")}");
        }
    }
}
