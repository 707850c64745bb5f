using System.Collections.Frozen;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ZmqGame.Broker.Http.Admin;

/// <summary>
/// The console's page: <c>/</c> (index.html), <c>/admin/console.js</c> and <c>/admin/console.css</c>, embedded in the
/// broker assembly (Http/Admin/wwwroot), read once. No inline script: the content security policy allows this
/// origin's files only, and the page may not be framed.
/// </summary>
internal static class AdminPage
{
    private const string Policy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    private static readonly FrozenDictionary<string, (string File, string ContentType)> Files = new Dictionary<string, (string, string)>
    {
        ["/"] = ("index.html", "text/html; charset=utf-8"),
        ["/admin/console.js"] = ("console.js", "text/javascript; charset=utf-8"),
        ["/admin/console.css"] = ("console.css", "text/css; charset=utf-8"),
    }.ToFrozenDictionary();

    public static void Map(WebApplication app)
    {
        foreach (var (path, (file, contentType)) in Files)
        {
            var bytes = Read(file);
            app.MapGet(path, (HttpContext context) =>
            {
                var headers = context.Response.Headers;
                headers.ContentSecurityPolicy = Policy;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers.CacheControl = "no-cache";
                return Results.Bytes(bytes, contentType);
            });
        }
    }

    private static byte[] Read(string file)
    {
        var name = "ZmqGame.Broker.Http.Admin.wwwroot." + file;
        using var stream = typeof(AdminPage).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"the broker assembly lacks its admin console resource {name}");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
