using System.Diagnostics;
using ZmqGame.Tests.Support;

namespace ZmqGame.Tests.Logging;

/// <summary>One run of a CLI executable (<c>dotnet client.dll …</c>) to its end, with stdout and stderr kept apart.</summary>
internal sealed record CliRun(int ExitCode, IReadOnlyList<string> Stdout, IReadOnlyList<string> Stderr)
{
    /// <summary>Runs project <paramref name="project"/>'s executable with <paramref name="args"/> and the added <paramref name="environment"/>.</summary>
    public static async Task<CliRun> RunAsync(string project, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Executables.Dll(project));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{project} {string.Join(' ', args)} did not finish within 60 s");
        }

        return new CliRun(process.ExitCode, Lines(await stdout), Lines(await stderr));
    }

    public override string ToString() =>
        $"exit {ExitCode}\nstdout:\n{string.Join('\n', Stdout)}\nstderr:\n{string.Join('\n', Stderr)}";

    private static List<string> Lines(string text) =>
        [.. text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0)];
}
