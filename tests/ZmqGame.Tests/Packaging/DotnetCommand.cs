using System.Diagnostics;
using System.Text;

namespace ZmqGame.Tests.Packaging;

/// <summary>
/// Runs the .NET CLI (or an installed tool) to completion in the packaging tests' own home: its environment names a
/// temporary <c>DOTNET_CLI_HOME</c> and <c>NUGET_PACKAGES</c>, so installed templates, tools and the packages of
/// this build never reach the machine's user profile or its package cache.
/// </summary>
internal sealed record DotnetCommand(int ExitCode, string Output)
{
    /// <summary>Runs <c>dotnet args…</c> in <paramref name="workingDirectory"/> and waits for it to exit.</summary>
    public static Task<DotnetCommand> RunAsync(PackedFeed feed, string workingDirectory, TimeSpan timeout, params string[] args) =>
        RunFileAsync(feed, "dotnet", workingDirectory, timeout, args);

    /// <summary>Runs <paramref name="file"/> (an executable) and waits for it to exit; after <paramref name="timeout"/> it is killed and the test fails.</summary>
    public static Task<DotnetCommand> RunFileAsync(PackedFeed feed, string file, string workingDirectory, TimeSpan timeout, params string[] args) =>
        RunFileAsync(feed.Environment, file, workingDirectory, timeout, args);

    /// <summary>Runs <paramref name="file"/> with <paramref name="environment"/> added to this process's environment and waits for it to exit.</summary>
    public static async Task<DotnetCommand> RunFileAsync(IReadOnlyDictionary<string, string> environment, string file, string workingDirectory, TimeSpan timeout, params string[] args)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // The test host runs under `dotnet test`, whose MSBuild settings must not steer the builds started here.
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            info.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{file} {string.Join(' ', args)} did not finish within {timeout}:\n{Text(output)}");
        }

        // The parameterless wait also drains the redirected output.
        process.WaitForExit();
        return new DotnetCommand(process.ExitCode, Text(output));
    }

    /// <summary>Fails the test with the command's output unless it exited 0.</summary>
    public DotnetCommand Succeeded(string what)
    {
        Assert.That(ExitCode, Is.Zero, $"{what} failed:\n{Output}");
        return this;
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}
