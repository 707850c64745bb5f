using System.Net;
using System.Net.Sockets;
using ZmqGame.Tests.Http;
using ZmqGame.Tests.Support;

namespace ZmqGame.Tests.Packaging;

/// <summary>
/// The container files (<c>deploy/*.Dockerfile</c>, <c>docker-compose.yml</c>, <c>.dockerignore</c>), checked without
/// docker: each Dockerfile's build is carried out on this machine (its COPY steps on the build context, its restore and
/// publish commands as written, once per fixture, both images at once), the image's entry point and HEALTHCHECK run from
/// the published folder, and the compose services' commands go through the executables' own command-line checks.
/// </summary>
[TestFixture]
[Category(Categories.Packaging)]
[NonParallelizable]
[Platform(Exclude = "Win")]
public sealed class ContainerFilesTests
{
    private static readonly string[] Dockerfiles = ["deploy/broker.Dockerfile", "deploy/worker.Dockerfile"];

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(1);

    private readonly Dictionary<string, ContainerFilesBuild> _builds = new(StringComparer.Ordinal);
    private ContainerFilesDockerignore _ignore = null!;
    private ContainerFilesCompose _compose = null!;

    private static string Repository => PackedFeed.RepositoryRoot;

    [OneTimeSetUp]
    public async Task BuildImages()
    {
        _ignore = ContainerFilesDockerignore.Load(Path.Combine(Repository, ".dockerignore"));
        _compose = ContainerFilesCompose.Load(Path.Combine(Repository, "docker-compose.yml"));
        var builds = await Task.WhenAll(Dockerfiles.Select(f =>
            ContainerFilesBuild.RunAsync(ContainerFilesDockerfile.Load(Path.Combine(Repository, f)), Repository, _ignore)));
        foreach (var (file, build) in Dockerfiles.Zip(builds))
        {
            _builds[file] = build;
        }
    }

    [OneTimeTearDown]
    public void DeleteBuilds()
    {
        foreach (var build in _builds.Values)
        {
            build.Delete();
        }
    }

    [TestCaseSource(nameof(Dockerfiles))]
    public void Dockerfile_EveryCopySource_IsInTheBuildContext(string dockerfile)
    {
        var build = _builds[dockerfile];

        Assert.That(build.MissingSources, Is.Empty, "COPY sources not in the repository, or left out by .dockerignore");
        Assert.That(build.ContextFiles, Is.Not.Empty);
    }

    [TestCaseSource(nameof(Dockerfiles))]
    public void Dockerfile_RestoreAndPublish_SucceedAsWritten_AndGiveTheEntryPoint(string dockerfile)
    {
        var build = _builds[dockerfile];
        var entryPoint = build.Dockerfile.Image.EntryPoint;

        Assert.That(build.DotnetRuns.Select(r => r.Command), Has.Some.StartsWith("dotnet restore").And.Some.StartsWith("dotnet publish"));
        foreach (var (command, result) in build.DotnetRuns)
        {
            result.Succeeded("RUN " + command);
        }

        Assert.That(entryPoint, Has.Count.EqualTo(2).And.ItemAt(0).EqualTo("dotnet"), "ENTRYPOINT [\"dotnet\", \"<App>.dll\"]");
        var dll = Path.Combine(build.AppDirectory, entryPoint[1]);
        Assert.Multiple(() =>
        {
            Assert.That(File.Exists(dll), $"{entryPoint[1]} in the image's {build.AppDirectory}");
            Assert.That(File.Exists(Path.ChangeExtension(dll, ".runtimeconfig.json")), "its runtimeconfig.json");
            Assert.That(File.Exists(Path.Combine(build.AppDirectory, "appsettings.json")), "appsettings.json beside it");
            Assert.That(File.Exists(Path.Combine(build.AppDirectory, "nlog.config")), "nlog.config beside it");
        });
    }

    [TestCaseSource(nameof(Dockerfiles))]
    public async Task Dockerfile_EntryPoint_Runs(string dockerfile)
    {
        var build = _builds[dockerfile];
        var entryPoint = build.Dockerfile.Image.EntryPoint;

        var help = await DotnetCommand.RunFileAsync(Environment(build), entryPoint[0], build.AppDirectory, CommandTimeout, [.. entryPoint.Skip(1), "--help"]);

        help.Succeeded($"{string.Join(' ', entryPoint)} --help");
        Assert.That(help.Output, Does.Contain("--probe URL"));
    }

    [TestCaseSource(nameof(Dockerfiles))]
    public void Dockerfile_Image_RunsAsTheAppUser_ServesHttp_AndProbesTheHttpPortItExposes(string dockerfile)
    {
        var image = _builds[dockerfile].Dockerfile.Image;
        var healthcheck = image.Healthcheck;
        var settings = Settings(_builds[dockerfile], []);

        Assert.That(healthcheck, Is.Not.Null, "a HEALTHCHECK");
        Assert.Multiple(() =>
        {
            Assert.That(image.BaseImage, Does.StartWith("mcr.microsoft.com/dotnet/aspnet:10.0"), "the HTTP endpoint needs ASP.NET Core");
            Assert.That(image.User, Is.EqualTo("$APP_UID"), "the images' non-root app user");
            Assert.That(settings.HttpPort, Is.Not.Null, "the image turns the HTTP endpoint on");
            Assert.That(image.ExposedPorts, Is.SupersetOf(settings.ReachablePorts), "EXPOSE every port the process listens on outside the container");
            Assert.That(healthcheck!.Command.Take(2), Is.EqualTo(image.EntryPoint), "the probe is the entry point's");
            Assert.That(healthcheck.Command.Skip(2).First(), Is.EqualTo("--probe"));
            var url = new Uri(healthcheck.Command[^1]);
            Assert.That(url.Port, Is.EqualTo(settings.HttpPort), "the probe asks the HTTP endpoint's port");
            Assert.That(url.AbsolutePath, Is.EqualTo("/healthz"));
            Assert.That(url.IsLoopback, "the probe runs inside the container");
        });
    }

    [TestCaseSource(nameof(Dockerfiles))]
    public async Task Dockerfile_Healthcheck_Passes_WhileTheProcessServes_AndFailsOnceItStopped(string dockerfile)
    {
        var build = _builds[dockerfile];
        var image = build.Dockerfile.Image;
        var command = image.Healthcheck!.Command;
        var isBroker = image.EntryPoint[1] == ContainerFilesSettings.BrokerDll;

        // The image's environment, with the HTTP endpoint on a free port and container paths inside the test's folder.
        var environment = Environment(build).ToDictionary(
            v => v.Key,
            v => v.Value.StartsWith("http://", StringComparison.Ordinal) ? new UriBuilder(v.Value.Replace("*", "0.0.0.0", StringComparison.Ordinal)) { Port = 0 }.Uri.ToString().TrimEnd('/')
                : v.Value.StartsWith('/') ? Path.Combine(build.Root, "runtime", v.Value.TrimStart('/')) : v.Value);
        foreach (var path in environment.Values.Where(v => v.StartsWith(build.Root, StringComparison.Ordinal)))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        }

        string[] args = isBroker
            ? ["--frontend", "tcp://127.0.0.1:0", "--backend", "tcp://127.0.0.1:0", "--control", "tcp://127.0.0.1:0"]
            : ["--broker", $"tcp://127.0.0.1:{ClosedPort()}", "--slots", "1"];
        using var process = ProcessUnderTest.StartDll(Path.Combine(build.AppDirectory, image.EntryPoint[1]), environment, args);
        var listening = await process.WaitForLineAsync(isBroker ? HttpEndpointProcessTests.BrokerHttpLine : HttpEndpointProcessTests.WorkerHttpLine);
        var port = new Uri(listening.Groups[1].Value).Port;
        string[] probe = [.. command.Skip(1).SkipLast(1), new UriBuilder(command[^1]) { Port = port }.Uri.ToString()];

        var healthy = await DotnetCommand.RunFileAsync(environment, command[0], build.AppDirectory, CommandTimeout, probe);
        Assert.That(healthy.ExitCode, Is.Zero, healthy.Output);
        Assert.That(healthy.Output, Does.Contain("200"));

        process.Terminate();
        Assert.That(await process.WaitForExitAsync(), Is.Zero, process.Output);
        var down = await DotnetCommand.RunFileAsync(environment, command[0], build.AppDirectory, CommandTimeout, probe);
        Assert.That(down.ExitCode, Is.EqualTo(1), down.Output);
        Assert.That(down.Output, Does.StartWith("unhealthy: "));
    }

    [TestCaseSource(nameof(Dockerfiles))]
    public async Task Dockerfile_EntryPoint_ProbeWithAnotherOption_IsOneErrorLineAndExit2(string dockerfile)
    {
        var build = _builds[dockerfile];
        var entryPoint = build.Dockerfile.Image.EntryPoint;

        var probe = await DotnetCommand.RunFileAsync(Environment(build), entryPoint[0], build.AppDirectory, CommandTimeout,
            [.. entryPoint.Skip(1), "--probe", "http://127.0.0.1:1/healthz", "--slots", "1"]);

        Assert.That(probe.ExitCode, Is.EqualTo(2), probe.Output);
        Assert.That(probe.Output.Trim(), Does.StartWith("error: --probe takes one http URL").And.Not.Contain("\n"));
    }

    [Test]
    public void Dockerignore_LeavesBuildOutputsAndNodeModulesOutOfTheContext()
    {
        var copied = _builds.Values.SelectMany(b => b.ContextFiles).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(_ignore.IsIgnored("broker/ZmqGame.Broker/bin/Release/net10.0/ZmqGame.Broker.dll"));
            Assert.That(_ignore.IsIgnored("worker/ZmqGame.Worker/obj/project.assets.json"));
            Assert.That(_ignore.IsIgnored("client/node_modules/@msgpack/msgpack/package.json"));
            Assert.That(_ignore.IsIgnored("broker/ZmqGame.Broker/Program.cs"), Is.False);
            Assert.That(copied, Has.None.Matches<string>(f => f.Split('/').Any(s => s is "bin" or "obj" or "node_modules")));
        });
    }

    [Test]
    public void Compose_EveryBuild_NamesADockerfileOfTheRepository_AndEveryOtherServiceAnImage()
    {
        foreach (var service in _compose.Services.Values)
        {
            if (service.Build is not { } build)
            {
                Assert.That(service.Image, Is.Not.Null.And.Not.Empty, $"{service.Name}: an image or a build");
                continue;
            }

            var context = Path.GetFullPath(Path.Combine(Repository, build.Context));
            Assert.That(Directory.Exists(context), $"{service.Name}: build context {build.Context}");
            var dockerfile = Path.GetRelativePath(Repository, Path.Combine(context, build.Dockerfile)).Replace(Path.DirectorySeparatorChar, '/');
            Assert.That(Dockerfiles, Does.Contain(dockerfile), $"{service.Name}: dockerfile {build.Dockerfile}");
        }
    }

    [Test]
    public void Compose_ServiceCommands_AreAcceptedByTheExecutables_AndPublishOnlyPortsTheyListenOn()
    {
        foreach (var (service, build) in BuiltServices())
        {
            ContainerFilesSettings settings = null!;
            Assert.That(() => settings = Settings(build, service.Command, service.Environment), Throws.Nothing,
                $"{service.Name}: {string.Join(' ', service.Command)}");
            Assert.That(service.Ports.Select(p => p.ContainerPort), Is.SubsetOf(settings.ReachablePorts), $"{service.Name}: published ports");
        }
    }

    [Test]
    public void Compose_BrokersJoinOneNatsWithJetStream_AndTheWorkerAttachesToEveryBroker()
    {
        var brokers = BuiltServices().Where(s => s.Build.Dockerfile.Image.EntryPoint[1] == ContainerFilesSettings.BrokerDll)
            .ToDictionary(s => s.Service.Name, s => Settings(s.Build, s.Service.Command, s.Service.Environment));
        var workers = BuiltServices().Where(s => s.Build.Dockerfile.Image.EntryPoint[1] == ContainerFilesSettings.WorkerDll)
            .Select(s => (s.Service.Name, Settings: Settings(s.Build, s.Service.Command, s.Service.Environment))).ToList();

        Assert.That(brokers, Has.Count.EqualTo(2), "two brokers");
        Assert.That(workers, Has.Count.EqualTo(1), "one worker host");
        var nats = brokers.Values.SelectMany(b => b.ClusterUrls).Distinct().ToList();
        Assert.That(nats, Has.Count.EqualTo(1), "one NATS for every broker");
        Assert.That(brokers.Values.Select(b => b.ClusterUrls.Count), Has.All.EqualTo(1), "every broker in the cluster");
        var natsService = _compose.Services.GetValueOrDefault(new Uri(nats[0]).Host);
        Assert.That(natsService, Is.Not.Null, $"{nats[0]} names a service");
        Assert.That(natsService!.Command, Does.Contain("-js").Or.Contain("--jetstream"), "NATS with JetStream");

        var backends = brokers.Select(b => $"tcp://{b.Key}:{b.Value.BackendPort}");
        Assert.That(workers[0].Settings.Brokers, Is.EquivalentTo(backends), "the worker host on every broker's backend");
    }

    [Test]
    public void Compose_DependsOn_NamesServices_AndWaitsForHealthOnlyWhereThereIsAHealthcheck()
    {
        foreach (var service in _compose.Services.Values)
        {
            foreach (var (name, condition) in service.DependsOn)
            {
                Assert.That(_compose.Services.TryGetValue(name, out var target), $"{service.Name} depends on {name}, a service");
                Assert.That(condition, Is.AnyOf("service_started", "service_healthy", "service_completed_successfully"));
                if (condition == "service_healthy")
                {
                    var healthcheck = target!.HasHealthcheck || (target.Build is not null && BuildOf(target).Dockerfile.Image.Healthcheck is not null);
                    Assert.That(healthcheck, $"{service.Name} waits for {name} to be healthy: {name} needs a healthcheck");
                }
            }
        }

        var worker = _compose.Services.Values.Single(s => s.Build is not null && BuildOf(s).Dockerfile.Image.EntryPoint[1] == ContainerFilesSettings.WorkerDll);
        Assert.That(worker.DependsOn.Where(d => d.Value == "service_healthy").Select(d => d.Key),
            Is.EquivalentTo(_compose.Services.Values.Where(s => s.Build is not null && BuildOf(s).Dockerfile.Image.EntryPoint[1] == ContainerFilesSettings.BrokerDll).Select(s => s.Name)),
            "the worker host starts once every broker is healthy");
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The image's ENV (its last stage's).</summary>
    private static IReadOnlyDictionary<string, string> Environment(ContainerFilesBuild build) => build.Dockerfile.Image.Environment;

    private static ContainerFilesSettings Settings(ContainerFilesBuild build, IReadOnlyList<string> args, IReadOnlyDictionary<string, string>? composeEnvironment = null)
    {
        var environment = new Dictionary<string, string>(Environment(build), StringComparer.Ordinal);
        foreach (var (name, value) in composeEnvironment ?? new Dictionary<string, string>())
        {
            environment[name] = value;
        }

        return ContainerFilesSettings.Read(build.Dockerfile.Image.EntryPoint[1], build.AppDirectory, environment, args);
    }

    private ContainerFilesBuild BuildOf(ContainerFilesCompose.Service service)
    {
        var dockerfile = Path.GetRelativePath(Repository, Path.Combine(Repository, service.Build!.Value.Context, service.Build.Value.Dockerfile)).Replace(Path.DirectorySeparatorChar, '/');
        return _builds[dockerfile];
    }

    private IEnumerable<(ContainerFilesCompose.Service Service, ContainerFilesBuild Build)> BuiltServices() =>
        _compose.Services.Values.Where(s => s.Build is not null).Select(s => (s, BuildOf(s)));
}
