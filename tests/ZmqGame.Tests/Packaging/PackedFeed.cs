using System.Reflection;

namespace ZmqGame.Tests.Packaging;

/// <summary>
/// The packages of this build: <c>dotnet pack ZmqGame.sln --no-build</c> (the configuration of this test assembly)
/// into a temporary folder, a local NuGet feed, done once per test run and shared by the packaging fixtures. Also the
/// temporary home in which those fixtures install tools and templates and restore projects.
/// </summary>
internal sealed class PackedFeed
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static PackedFeed? _packed;

    private PackedFeed(string root)
    {
        Root = root;
        Feed = Path.Combine(root, "feed");
        Home = Path.Combine(root, "home");
        Directory.CreateDirectory(Feed);
        Directory.CreateDirectory(Home);
        Environment = new Dictionary<string, string>
        {
            ["DOTNET_CLI_HOME"] = Home,
            ["NUGET_PACKAGES"] = Path.Combine(Home, "packages"),
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
            ["DOTNET_GENERATE_ASPNET_CERTIFICATE"] = "false",
            // The tools' launchers find the runtime that runs these tests.
            ["DOTNET_ROOT"] = DotnetRoot,
        };
    }

    /// <summary>The test run's temporary folder (feed, home, generated projects); deleted after the run.</summary>
    public string Root { get; }

    /// <summary>The folder the packages were packed into.</summary>
    public string Feed { get; }

    /// <summary>The temporary home (<c>DOTNET_CLI_HOME</c>) of every command the packaging tests run.</summary>
    public string Home { get; }

    /// <summary>Environment variables of every command the packaging tests run.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; }

    /// <summary>The version every package must carry: this build's (Directory.Build.props <c>VersionPrefix</c>).</summary>
    public static string Version { get; } = typeof(ZmqGame.Worker.WorkerApp).Assembly.GetName().Version!.ToString(3);

    /// <summary>The repository this test assembly was built from.</summary>
    public static string RepositoryRoot { get; } = typeof(PackedFeed).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepositoryRoot").Value!;

    /// <summary>The machine's own package folder: restores here read third-party packages from it before any source.</summary>
    public static string UserPackages { get; } =
        System.Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } packages
            ? packages
            : Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    private static string DotnetRoot { get; } =
        Path.GetFullPath(Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));

    /// <summary>Packs the solution the first time it is asked for, then hands out the same feed.</summary>
    public static async Task<PackedFeed> GetAsync()
    {
        await Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_packed is null)
            {
                var feed = new PackedFeed(Directory.CreateTempSubdirectory("zmqgame-packaging-").FullName);
                var configuration = typeof(PackedFeed).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
                (await DotnetCommand.RunAsync(feed, RepositoryRoot, TimeSpan.FromMinutes(3),
                    "pack", Path.Combine(RepositoryRoot, "ZmqGame.sln"), "--no-build", "-c", configuration, "-o", feed.Feed, "-nologo"))
                    .Succeeded("dotnet pack ZmqGame.sln");
                _packed = feed;
            }

            return _packed;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>Deletes the temporary folder, if a fixture packed one.</summary>
    public static void Delete()
    {
        if (_packed is { } packed && Directory.Exists(packed.Root))
        {
            Directory.Delete(packed.Root, recursive: true);
        }

        _packed = null;
    }

    /// <summary>The path of package <paramref name="id"/> at <see cref="Version"/> in the feed (symbols: the .snupkg).</summary>
    public string Package(string id, bool symbols = false) => Path.Combine(Feed, $"{id}.{Version}.{(symbols ? "snupkg" : "nupkg")}");
}

/// <summary>Removes the packaging tests' temporary feed and home once every packaging fixture has run.</summary>
[SetUpFixture]
public sealed class PackagingCleanup
{
    [OneTimeTearDown]
    public void DeleteFeed() => PackedFeed.Delete();
}
