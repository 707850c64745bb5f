namespace ZmqGame.Hosting;

/// <summary>A setting whose value is not of its kind; the message is one line naming it and where it came from.</summary>
internal sealed class BadSettingException(string key, string value, string source, string expected)
    : InvalidOperationException($"setting {key} = '{value}' (from {source}) is not {expected}");
