using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace ZmqGame.Tests.Tracing;

/// <summary>
/// An OpenTelemetry tracer, set up as an application would (<c>AddSource("ZmqGame.Client")</c> …), whose exporter keeps
/// every finished span in memory. Spans are exported when they end, on the thread that ends them.
/// </summary>
internal sealed class SpanCollector : IDisposable
{
    /// <summary>The source of the spans test handlers start themselves, to check that they nest under the worker's.</summary>
    public const string HandlerSourceName = "ZmqGame.Tests.Handler";

    private readonly List<Activity> _spans = [];
    private readonly TracerProvider _provider;

    public SpanCollector()
    {
        _provider = Sdk.CreateTracerProviderBuilder()
            .AddSource("ZmqGame.Client", "ZmqGame.Worker", HandlerSourceName)
            .SetSampler(new AlwaysOnSampler())
            .AddInMemoryExporter(_spans)
            .Build()!;
    }

    /// <summary>The spans exported so far.</summary>
    public IReadOnlyList<Activity> Spans
    {
        get
        {
            lock (_spans)
            {
                return [.. _spans];
            }
        }
    }

    /// <summary>The spans of <paramref name="source"/> exported so far.</summary>
    public IReadOnlyList<Activity> From(string source) => [.. Spans.Where(s => s.Source.Name == source)];

    public void Dispose() => _provider.Dispose();
}
