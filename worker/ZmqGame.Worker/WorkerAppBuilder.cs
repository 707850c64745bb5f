using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ZmqGame.Hosting;
using ZmqGame.Protocol;

namespace ZmqGame.Worker;

/// <summary>
/// Builds a <see cref="WorkerApp"/> on the .NET generic host. Configuration: appsettings.json, environment
/// variables, command line; <c>--broker</c> and <c>--slots</c> map to <c>Worker:Broker</c> and <c>Worker:Slots</c>.
/// Durations read as <c>250ms</c>, <c>5s</c>, <c>1m</c> or <c>hh:mm:ss</c> (see <see cref="Durations"/>).
/// Logging goes to NLog: nlog.config next to the executable, or without one the console (see <see cref="WorkerAppLogging"/>);
/// <c>--log-format json</c> maps to <c>Logging:Format</c>.
/// </summary>
public sealed class WorkerAppBuilder
{
    /// <summary>The command-line options the builder maps onto the <c>Worker</c> section.</summary>
    internal static readonly Dictionary<string, string> SwitchMappings = new(StringComparer.OrdinalIgnoreCase)
    {
        ["--broker"] = $"{WorkerOptions.SectionName}:{nameof(WorkerOptions.Broker)}",
        ["--slots"] = $"{WorkerOptions.SectionName}:{nameof(WorkerOptions.Slots)}",
        [LogFormat.Option] = LogFormat.Setting,
    };

    private readonly HostApplicationBuilder _builder;
    private bool _built;

    /// <exception cref="InvalidOperationException">A setting is not of its kind (the message names it and its source).</exception>
    /// <exception cref="InvalidDataException">appsettings.json is not JSON, or nlog.config cannot be loaded.</exception>
    internal WorkerAppBuilder(string[] args)
    {
        // Content root = the executable's folder, so appsettings.json beside it is read from any working directory.
        _builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
        _builder.Configuration.AddCommandLine(args, SwitchMappings);
        ConfigurationCheck.Bind(_builder.Configuration, WorkerOptions.SectionName, Options);
        WorkerAppLogging.AddNLogOrDefault(_builder.Logging, _builder.Configuration);
    }

    /// <summary>Worker settings, already bound from configuration; adjust them before <see cref="Build"/>.</summary>
    public WorkerOptions Options { get; } = new();

    /// <summary>Configuration sources and values (add your own sections).</summary>
    public ConfigurationManager Configuration => _builder.Configuration;

    /// <summary>Services for dependency injection.</summary>
    public IServiceCollection Services => _builder.Services;

    /// <summary>Logging providers and filters (NLog is already added).</summary>
    public ILoggingBuilder Logging => _builder.Logging;

    /// <summary>Validates the options and builds the app; map services and routes on the result.</summary>
    public WorkerApp Build()
    {
        if (_built)
        {
            throw new InvalidOperationException("Build can be called once.");
        }

        _built = true;
        Options.Validate();
        var holder = new AppHolder();
        _builder.Services.AddSingleton(holder);
        _builder.Services.AddHostedService<WorkerHostedService>();

        // The host must give the worker its whole shutdown timeout, plus a margin to DISCONNECT and close.
        _builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = Options.ShutdownTimeout + TimeSpan.FromSeconds(5));
        var host = _builder.Build();
        var app = new WorkerApp(
            Options,
            host.Services.GetRequiredService<ILoggerFactory>(),
            host.Services.GetService<TimeProvider>() ?? TimeProvider.System,
            host);
        holder.App = app;
        return app;
    }

    internal sealed class AppHolder
    {
        public WorkerApp? App { get; set; }
    }

    /// <summary>Ties the worker's start and graceful stop to the generic host's lifetime.</summary>
    internal sealed class WorkerHostedService(AppHolder holder) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) =>
            holder.App?.StartCoreAsync(cancellationToken) ?? throw new InvalidOperationException("The worker app was not built.");

        public Task StopAsync(CancellationToken cancellationToken) =>
            holder.App?.StopCoreAsync(cancellationToken) ?? Task.CompletedTask;
    }
}
