using ZmqGame.Tests.Support;

namespace ZmqGame.Tests.EndToEnd;

/// <summary>
/// Bad settings that do not come from the command line — a value in appsettings.json or in an environment variable, an
/// appsettings.json that is not JSON, an nlog.config NLog cannot load — and endpoints no socket can take: the broker and
/// the worker host (both modes) print one <c>error:</c> line naming the setting and where it came from and exit 2,
/// without a stack trace or a Critical log line, and the supervisor says so before it starts any worker process.
/// </summary>
[TestFixture]
public sealed class SettingsProcessTests
{
    private const string Broker = "ZmqGame.Broker";
    private const string WorkerHost = "ZmqGame.Worker.Host";
    private static readonly string[] BrokerArgs = ["tcp://127.0.0.1:0", "tcp://127.0.0.1:0", "--control", "tcp://127.0.0.1:0"];
    private static readonly string[] WorkerArgs = ["--broker", "tcp://127.0.0.1:1", "--slots", "1", "--service", "echo"];
    private static readonly string[] SupervisorArgs = ["--processes", "1", .. WorkerArgs];

    private static IEnumerable<TestCaseData> EnvironmentCases()
    {
        yield return new TestCaseData(Broker, BrokerArgs, "ZMQGAME_Broker__RequestTimeout", "abc", "Broker:RequestTimeout", "a duration");
        yield return new TestCaseData(Broker, BrokerArgs, "Broker__Liveness", "x", "Broker:Liveness", "a whole number");
        yield return new TestCaseData(Broker, BrokerArgs, "ZMQGAME_Broker__Security__FrontendCurve", "maybe", "Broker:Security:FrontendCurve", "true or false");
        yield return new TestCaseData(WorkerHost, WorkerArgs, "Worker__Liveness", "x", "Worker:Liveness", "a whole number");
        yield return new TestCaseData(WorkerHost, WorkerArgs, "Worker__ShutdownTimeout", "soon", "Worker:ShutdownTimeout", "a duration");
        yield return new TestCaseData(WorkerHost, SupervisorArgs, "Worker__Liveness", "x", "Worker:Liveness", "a whole number");
        yield return new TestCaseData(WorkerHost, SupervisorArgs, "Supervisor__DrainTimeout", "5x", "Supervisor:DrainTimeout", "a duration");
    }

    [TestCaseSource(nameof(EnvironmentCases))]
    public async Task BadValueInAnEnvironmentVariable_IsOneLineNamingTheSettingAndTheVariable_ExitTwo(
        string project, string[] args, string variable, string value, string key, string expected)
    {
        using var process = ProcessUnderTest.StartDll(Executables.Dll(project), new Dictionary<string, string> { [variable] = value }, args);

        AssertOneErrorLine(process, await process.WaitForExitAsync(), $"setting {key} = '{value}' (from environment variable {variable}) is not {expected}");
    }

    [TestCase(Broker, "Broker", "RequestTimeout", "abc", "a duration")]
    [TestCase(Broker, "Broker", "MaxQueuedPerService", "lots", "a whole number")]
    [TestCase(WorkerHost, "Worker", "Liveness", "x", "a whole number")]
    [TestCase(WorkerHost, "Worker", "HeartbeatInterval", "2.5", "a duration")]
    [TestCase(WorkerHost, "Supervisor", "CrashLoopMaxCrashes", "many", "a whole number")]
    public async Task BadValueInAppsettings_IsOneLineNamingTheSettingAndTheFile_ExitTwo(string project, string section, string key, string value, string expected)
    {
        using var build = BuildCopy.Of(project);
        build.SetInAppsettings(section, key, value);
        string[] args = project == Broker ? BrokerArgs : section == "Supervisor" ? SupervisorArgs : WorkerArgs;

        using var process = ProcessUnderTest.StartDll(build.Dll, args);

        AssertOneErrorLine(
            process,
            await process.WaitForExitAsync(),
            $"setting {section}:{key} = '{value}' (from {Path.Combine(build.Directory, "appsettings.json")}) is not {expected}");
    }

    [Test]
    public async Task Supervisor_BadWorkerSettingInAppsettings_ExitsTwoBeforeStartingAnyWorkerProcess()
    {
        using var build = BuildCopy.Of(WorkerHost);
        build.SetInAppsettings("Worker", "ReconnectDelayMax", "later");

        using var supervisor = ProcessUnderTest.StartDll(build.Dll, SupervisorArgs);

        AssertOneErrorLine(supervisor, await supervisor.WaitForExitAsync(), "setting Worker:ReconnectDelayMax = 'later'");
        Assert.That(supervisor.Output, Does.Not.Contain("[child").And.Not.Contain("started: pid"), "no worker process was started");
    }

    [TestCase("--slots", "0", "Slots must be between 1 and 1024")]
    [TestCase("--service", "nope", "setting Worker:Services = 'nope' (from the command line)")]
    [TestCase("--broker", "tcp//127.0.0.1:5556", "Broker 'tcp//127.0.0.1:5556' is not an endpoint")]
    [TestCase("--Worker:Liveness", "0", "Liveness must be between 1 and 100")]
    public async Task Supervisor_WorkerOptionItCannotRunWith_ExitsTwoBeforeStartingAnyWorkerProcess(string option, string value, string message)
    {
        using var supervisor = ProcessUnderTest.Start(WorkerHost, "--processes", "1", "--broker", "tcp://127.0.0.1:1", option, value);

        AssertOneErrorLine(supervisor, await supervisor.WaitForExitAsync(), message);
        Assert.That(supervisor.Output, Does.Not.Contain("[child").And.Not.Contain("started: pid"), "no worker process was started");
    }

    [TestCase(Broker)]
    [TestCase(WorkerHost)]
    [TestCase(WorkerHost, "--processes", "1")]
    public async Task AppsettingsThatIsNotJson_IsOneLineNamingTheFile_ExitTwo(string project, params string[] mode)
    {
        using var build = BuildCopy.Of(project);
        File.WriteAllText(Path.Combine(build.Directory, "appsettings.json"), "{ \"Worker\": { \"Slots\": 1 }, ");

        using var process = ProcessUnderTest.StartDll(build.Dll, [.. mode, .. project == Broker ? BrokerArgs : WorkerArgs]);

        AssertOneErrorLine(process, await process.WaitForExitAsync(), $"'{Path.Combine(build.Directory, "appsettings.json")}'");
        Assert.That(process.Output, Does.Contain("LineNumber: "));
    }

    [TestCase(Broker)]
    [TestCase(WorkerHost)]
    [TestCase(WorkerHost, "--processes", "1")]
    public async Task NlogConfigThatCannotBeLoaded_IsOneLineNamingTheFile_ExitTwo_InsteadOfRunningWithoutLogs(string project, params string[] mode)
    {
        using var build = BuildCopy.Of(project);
        File.WriteAllText(Path.Combine(build.Directory, "nlog.config"), "<nlog><targets><target name=\"x\" type=\"NoSuchTarget\" /></targets></nlog>");

        using var process = ProcessUnderTest.StartDll(build.Dll, [.. mode, .. project == Broker ? BrokerArgs : WorkerArgs]);

        AssertOneErrorLine(process, await process.WaitForExitAsync(), $"cannot read the logging configuration {Path.Combine(build.Directory, "nlog.config")}");
        Assert.That(process.Output, Does.Contain("NoSuchTarget"));
    }

    [TestCase("udp://127.0.0.1:0", "uses the transport udp://")]
    [TestCase("tcp//127.0.0.1:0", "is not an endpoint")]
    [TestCase("tcp://127.0.0.1", "has no host:port")]
    [TestCase("tcp://127.0.0.1:70000", "has no valid port")]
    public async Task Broker_EndpointNoSocketCanTake_IsOneLineNamingTheSetting_ExitTwo(string frontend, string problem)
    {
        using var broker = ProcessUnderTest.Start(Broker, frontend, "tcp://127.0.0.1:0", "--control", "tcp://127.0.0.1:0");

        AssertOneErrorLine(broker, await broker.WaitForExitAsync(), $"setting Broker:Frontend = '{frontend}' (from the command line) {problem}");
    }

    [Test]
    public async Task WorkerHost_MalformedBrokerEndpoint_ExitsTwo_InsteadOfReconnectingForever()
    {
        using var worker = ProcessUnderTest.Start(WorkerHost, "--broker", "tcp//127.0.0.1:5556", "--slots", "1");

        AssertOneErrorLine(worker, await worker.WaitForExitAsync(), "Broker 'tcp//127.0.0.1:5556' is not an endpoint");
    }

    [Test]
    public async Task WorkerHost_UnknownService_IsAnErrorLine_NotACriticalLogLine()
    {
        using var worker = ProcessUnderTest.Start(WorkerHost, "--service", "echo,nope", "--slots", "1");

        AssertOneErrorLine(worker, await worker.WaitForExitAsync(), "setting Worker:Services = 'echo,nope' (from the command line) names 'nope'");
    }

    private static void AssertOneErrorLine(ProcessUnderTest process, int exitCode, string message)
    {
        Assert.That(exitCode, Is.EqualTo(2), process.Output);
        var lines = process.Lines.Where(l => l.Length > 0).ToList();
        Assert.That(lines, Has.Count.EqualTo(1), process.Output);
        Assert.That(lines[0], Does.StartWith("error: ").And.Contain(message));
    }

    /// <summary>A copy of a project's build output whose appsettings.json and nlog.config a test may change.</summary>
    private sealed class BuildCopy : IDisposable
    {
        private readonly DirectoryInfo _directory;
        private readonly string _assembly;

        private BuildCopy(DirectoryInfo directory, string assembly)
        {
            _directory = directory;
            _assembly = assembly;
        }

        public string Directory => _directory.FullName;

        public string Dll => Path.Combine(Directory, _assembly);

        public static BuildCopy Of(string project)
        {
            var dll = Executables.Dll(project);
            var source = Path.GetDirectoryName(dll)!;
            var copy = System.IO.Directory.CreateTempSubdirectory("zmqgame-settings-");
            foreach (var file in System.IO.Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
            {
                var target = Path.Combine(copy.FullName, Path.GetRelativePath(source, file));
                System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }

            return new BuildCopy(copy, Path.GetFileName(dll));
        }

        /// <summary>Sets <c>section:key</c> to the string <paramref name="value"/> in the copy's appsettings.json.</summary>
        public void SetInAppsettings(string section, string key, string value)
        {
            var path = Path.Combine(Directory, "appsettings.json");
            var settings = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            if (settings[section] is not System.Text.Json.Nodes.JsonObject values)
            {
                settings[section] = values = [];
            }

            values[key] = value;
            File.WriteAllText(path, settings.ToJsonString());
        }

        public void Dispose() => _directory.Delete(recursive: true);
    }
}
