using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ZmqGame.Tests.Tracing;

/// <summary>A logger provider that keeps the event id and text of every warning or worse.</summary>
internal sealed class WarningLog : ILoggerProvider, ILogger
{
    private readonly ConcurrentQueue<(int EventId, string Text)> _entries = new();

    public IReadOnlyList<(int EventId, string Text)> Entries => [.. _entries];

    public ILoggerFactory Factory() => new LoggerFactory([this]);

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            _entries.Enqueue((eventId.Id, formatter(state, exception)));
        }
    }

    public void Dispose()
    {
    }
}
