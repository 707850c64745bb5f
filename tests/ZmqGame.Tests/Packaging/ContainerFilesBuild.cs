namespace ZmqGame.Tests.Packaging;

/// <summary>
/// A Dockerfile's build done without docker: each stage gets a folder standing for its file system, WORKDIR and COPY
/// are carried out on it (COPY from the repository, as the build context <c>.dockerignore</c> leaves it, or from an
/// earlier stage), and each <c>RUN dotnet restore|publish …</c> runs with the same arguments, its absolute paths
/// (<c>-o /app</c>) inside the stage's folder. Other RUN commands (a <c>mkdir</c> for the runtime user) are not run.
/// </summary>
internal sealed class ContainerFilesBuild
{
    private static readonly TimeSpan DotnetTimeout = TimeSpan.FromMinutes(10);

    private static readonly IReadOnlyDictionary<string, string> DotnetEnvironment = new Dictionary<string, string>
    {
        ["DOTNET_NOLOGO"] = "1",
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
    };

    private readonly Dictionary<string, string> _stageRoots = new(StringComparer.Ordinal);

    private ContainerFilesBuild(ContainerFilesDockerfile dockerfile, string root)
    {
        Dockerfile = dockerfile;
        Root = root;
    }

    /// <summary>The Dockerfile built.</summary>
    public ContainerFilesDockerfile Dockerfile { get; }

    /// <summary>The temporary folder that holds every stage's file system.</summary>
    public string Root { get; }

    /// <summary>
    /// The COPY sources that are not there: not in the repository, left out by .dockerignore, or not made by the stage
    /// they are copied from (<c>--from=build /app</c> when the publish failed).
    /// </summary>
    public List<string> MissingSources { get; } = [];

    /// <summary>Every file copied from the build context, relative to the repository.</summary>
    public List<string> ContextFiles { get; } = [];

    /// <summary>Each <c>dotnet</c> command the Dockerfile runs, as written, and how it ended here.</summary>
    public List<(string Command, DotnetCommand Result)> DotnetRuns { get; } = [];

    /// <summary>The image's working directory (its last WORKDIR), where ENTRYPOINT and HEALTHCHECK run, on this machine.</summary>
    public string AppDirectory { get; private set; } = string.Empty;

    /// <summary>Builds <paramref name="dockerfile"/> with the repository at <paramref name="context"/> as its build context.</summary>
    public static async Task<ContainerFilesBuild> RunAsync(ContainerFilesDockerfile dockerfile, string context, ContainerFilesDockerignore ignore)
    {
        var build = new ContainerFilesBuild(dockerfile, Directory.CreateTempSubdirectory("zmqgame-container-").FullName);
        for (var index = 0; index < dockerfile.Stages.Count; index++)
        {
            var stage = dockerfile.Stages[index];
            var stageRoot = Directory.CreateDirectory(Path.Combine(build.Root, $"stage{index}")).FullName;
            if (stage.Name is { } name)
            {
                build._stageRoots[name] = stageRoot;
            }

            var workdir = "/";
            foreach (var instruction in stage.Instructions)
            {
                switch (instruction.Keyword)
                {
                    case "WORKDIR":
                        workdir = Combine(workdir, instruction.Arguments);
                        Directory.CreateDirectory(InStage(stageRoot, workdir));
                        break;
                    case "COPY":
                        build.Copy(ContainerFilesDockerfile.Stage.ParseCopy(instruction), context, ignore, stageRoot, workdir);
                        break;
                    case "RUN":
                        await build.RunAsync(ContainerFilesDockerfile.Stage.RunWords(instruction), instruction.Arguments, stageRoot, workdir).ConfigureAwait(false);
                        break;
                }
            }

            build.AppDirectory = InStage(stageRoot, workdir);
        }

        return build;
    }

    /// <summary>Deletes the stages' folders.</summary>
    public void Delete()
    {
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }

    private static string Combine(string workdir, string path) => path.StartsWith('/') ? path : workdir.TrimEnd('/') + "/" + path;

    private static string InStage(string stageRoot, string containerPath) =>
        Path.GetFullPath(Path.Combine(stageRoot, containerPath.TrimStart('/')));

    private static void CopyTree(string source, string destination, Func<string, bool> include)
    {
        Directory.CreateDirectory(destination);
        foreach (var entry in Directory.EnumerateFileSystemEntries(source))
        {
            if (!include(entry))
            {
                continue;
            }

            var target = Path.Combine(destination, Path.GetFileName(entry));
            if (Directory.Exists(entry))
            {
                CopyTree(entry, target, include);
            }
            else
            {
                File.Copy(entry, target, overwrite: true);
            }
        }
    }

    private void Copy(ContainerFilesDockerfile.Copy copy, string context, ContainerFilesDockerignore ignore, string stageRoot, string workdir)
    {
        var destination = InStage(stageRoot, Combine(workdir, copy.Destination));
        var intoFolder = copy.Destination.EndsWith('/') || copy.Destination == "." || copy.Sources.Count > 1;
        var sourceRoot = copy.From is { } from ? _stageRoots[from] : context;
        foreach (var source in copy.Sources)
        {
            var relative = source.Trim('/');
            var path = Path.Combine(sourceRoot, relative);
            if (!(File.Exists(path) || Directory.Exists(path)) || (copy.From is null && ignore.IsIgnored(relative)))
            {
                MissingSources.Add(copy.From is { } stage ? $"--from={stage} {source}" : source);
                continue;
            }

            bool Include(string entry)
            {
                if (copy.From is not null)
                {
                    return true;
                }

                var inContext = Path.GetRelativePath(context, entry).Replace(Path.DirectorySeparatorChar, '/');
                if (ignore.IsIgnored(inContext))
                {
                    return false;
                }

                if (File.Exists(entry))
                {
                    ContextFiles.Add(inContext);
                }

                return true;
            }

            if (Directory.Exists(path))
            {
                // A folder's contents go into the destination folder.
                CopyTree(path, destination, Include);
            }
            else
            {
                var target = intoFolder || Directory.Exists(destination) ? Path.Combine(destination, Path.GetFileName(path)) : destination;
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                if (Include(path))
                {
                    File.Copy(path, target, overwrite: true);
                }
            }
        }
    }

    private async Task RunAsync(IReadOnlyList<string> words, string command, string stageRoot, string workdir)
    {
        if (words is not ["dotnet", "restore" or "publish", ..])
        {
            return;
        }

        Assert.That(words, Has.None.AnyOf("&&", "||", ";", "|"), $"RUN {command}: one dotnet command per RUN, so the test runs it as written");
        var args = words.Skip(1).Select(w => w.StartsWith('/') ? InStage(stageRoot, w) : w).ToArray();
        var result = await DotnetCommand.RunFileAsync(DotnetEnvironment, "dotnet", InStage(stageRoot, workdir), DotnetTimeout, args).ConfigureAwait(false);
        DotnetRuns.Add((command, result));
    }
}
