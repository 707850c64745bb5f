namespace ZmqGame.Hosting.Http;

/// <summary>
/// <c>--probe URL</c> of the broker and the worker host: one HTTP GET of a health endpoint (their own <c>/healthz</c>),
/// for a container's HEALTHCHECK in images that have neither curl nor wget. It starts nothing else. Exit code 0 on a 2xx
/// answer (the status line on stdout), 1 on any other answer, a refused connection or no answer within
/// <see cref="Timeout"/> (one line on stderr), 2 when the command line is not exactly <c>--probe URL</c>.
/// </summary>
internal static class HttpProbe
{
    /// <summary>The option.</summary>
    public const string Switch = "--probe";

    /// <summary>How long the probe waits for the answer.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    /// <summary>True when the command line asks for a probe instead of a process.</summary>
    public static bool IsRequested(string[] args) =>
        args.Any(a => a.Equals(Switch, StringComparison.OrdinalIgnoreCase) || a.StartsWith(Switch + "=", StringComparison.OrdinalIgnoreCase));

    /// <summary>Runs the probe the command line asks for and returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        var url = args switch
        {
            [var option, var value] when option.Equals(Switch, StringComparison.OrdinalIgnoreCase) => value,
            [var option] when option.StartsWith(Switch + "=", StringComparison.OrdinalIgnoreCase) => option[(Switch.Length + 1)..],
            _ => null,
        };
        if (url is null || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            await error.WriteLineAsync($"error: {Switch} takes one http URL and no other option, e.g. {Switch} http://127.0.0.1:9090/healthz").ConfigureAwait(false);
            return 2;
        }

        using var http = new HttpClient { Timeout = Timeout };
        try
        {
            using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
            var status = $"{(int)response.StatusCode} {response.ReasonPhrase} from {uri}";
            if (response.IsSuccessStatusCode)
            {
                await output.WriteLineAsync(status).ConfigureAwait(false);
                return 0;
            }

            await error.WriteLineAsync("unhealthy: " + status).ConfigureAwait(false);
            return 1;
        }
        catch (HttpRequestException ex)
        {
            await error.WriteLineAsync($"unhealthy: {uri}: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
        catch (TaskCanceledException)
        {
            await error.WriteLineAsync($"unhealthy: {uri}: no answer within {Timeout.TotalSeconds:0}s").ConfigureAwait(false);
            return 1;
        }
    }
}
