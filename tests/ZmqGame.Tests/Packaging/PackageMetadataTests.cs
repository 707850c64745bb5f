using System.IO.Compression;
using System.Xml.Linq;
using ZmqGame.Tests.Support;

namespace ZmqGame.Tests.Packaging;

/// <summary><c>dotnet pack ZmqGame.sln</c>: exactly the published packages, each with its NuGet metadata.</summary>
[TestFixture]
[Category(Categories.Packaging)]
[NonParallelizable]
public sealed class PackageMetadataTests
{
    private static readonly string[] Libraries = ["ZmqGame.Protocol", "ZmqGame.Transport", "ZmqGame.Client", "ZmqGame.Worker", "ZmqGame.Trigger"];

    private static readonly (string Id, string Command)[] Tools =
    [
        ("ZmqGame.Broker.Tool", "zmqgame-broker"),
        ("ZmqGame.Worker.Tool", "zmqgame-worker"),
        ("ZmqGame.Trigger.Tool", "zmqgame-trigger"),
        ("ZmqGame.Client.Tool", "zmqgame-client"),
    ];

    /// <summary>The repository every package names (Directory.Build.props <c>RepositoryUrl</c> and <c>PackageProjectUrl</c>).</summary>
    private const string RepositoryUrl = "https://github.com/zmqgame/zmqgame";

    private PackedFeed _feed = null!;

    [OneTimeSetUp]
    public async Task Pack() => _feed = await PackedFeed.GetAsync();

    [Test]
    public void PackSolution_GivesLibrariesToolsAndTemplate_NoTestOrBenchPackage()
    {
        var packed = Directory.GetFiles(_feed.Feed, "*.nupkg").Select(Path.GetFileName).Order(StringComparer.Ordinal);
        var expected = Libraries.Concat(Tools.Select(t => t.Id)).Append("ZmqGame.Templates")
            .Select(id => $"{id}.{PackedFeed.Version}.nupkg").Order(StringComparer.Ordinal);

        Assert.That(packed, Is.EqualTo(expected));
    }

    [TestCaseSource(nameof(AllIds))]
    public void Nuspec_HasDescriptionLicenseRepositoryReadmeTagsAndTheVersion(string id)
    {
        using var package = ZipFile.OpenRead(_feed.Package(id));
        var metadata = Metadata(package, id);
        string? Value(string name) => metadata.Element(metadata.Name.Namespace + name)?.Value;
        var license = metadata.Element(metadata.Name.Namespace + "license");
        var repository = metadata.Element(metadata.Name.Namespace + "repository");
        var readme = Value("readme");

        Assert.Multiple(() =>
        {
            Assert.That(Value("id"), Is.EqualTo(id));
            Assert.That(Value("version"), Is.EqualTo(PackedFeed.Version));
            Assert.That(Value("description"), Does.Contain("ZmqGame").And.Not.EqualTo("Package Description"));
            Assert.That(license?.Attribute("type")?.Value, Is.EqualTo("expression"));
            Assert.That(license?.Value, Is.EqualTo("MIT"));
            Assert.That(repository?.Attribute("type")?.Value, Is.EqualTo("git"));
            Assert.That(repository?.Attribute("url")?.Value, Is.EqualTo(RepositoryUrl));
            Assert.That(Value("projectUrl"), Is.EqualTo(RepositoryUrl));
            Assert.That(Value("tags"), Does.Contain("zeromq"));
            Assert.That(Value("authors"), Is.EqualTo("ZmqGame contributors"));
            Assert.That(readme, Is.Not.Null);
            Assert.That(package.GetEntry(readme!), Is.Not.Null, "the readme the nuspec names is in the package");
        });
    }

    [TestCaseSource(nameof(LibraryAndToolIds))]
    public void LibraryAndToolPackages_HaveSymbolPackages(string id)
    {
        using var symbols = ZipFile.OpenRead(_feed.Package(id, symbols: true));

        Assert.That(symbols.Entries.Select(e => e.FullName), Has.Some.EndsWith(".pdb"));
    }

    [TestCaseSource(nameof(Tools))]
    public void ToolPackages_AreDotnetToolsWithTheirCommand((string Id, string Command) tool)
    {
        using var package = ZipFile.OpenRead(_feed.Package(tool.Id));
        var packageTypes = Metadata(package, tool.Id).Descendants().Where(e => e.Name.LocalName == "packageType").Select(e => e.Attribute("name")?.Value);
        var settings = package.Entries.Single(e => e.FullName.EndsWith("/DotnetToolSettings.xml", StringComparison.Ordinal));
        using var settingsStream = settings.Open();
        var command = XDocument.Load(settingsStream).Descendants("Command").Single();

        Assert.That(packageTypes, Is.EqualTo(new[] { "DotnetTool" }));
        Assert.That(command.Attribute("Name")?.Value, Is.EqualTo(tool.Command));
    }

    [Test]
    public void TemplatePackage_IsATemplate_WhoseWorkerReferencesThisVersionOfZmqGameWorker()
    {
        using var package = ZipFile.OpenRead(_feed.Package("ZmqGame.Templates"));
        var packageTypes = Metadata(package, "ZmqGame.Templates").Descendants().Where(e => e.Name.LocalName == "packageType").Select(e => e.Attribute("name")?.Value);
        using var project = package.GetEntry("content/worker/ZmqGameWorker.csproj")!.Open();
        var reference = XDocument.Load(project).Descendants("PackageReference").Single(r => r.Attribute("Include")?.Value == "ZmqGame.Worker");

        Assert.That(packageTypes, Is.EqualTo(new[] { "Template" }));
        Assert.That(package.GetEntry("content/worker/.template.config/template.json"), Is.Not.Null);
        Assert.That(reference.Attribute("Version")?.Value, Is.EqualTo(PackedFeed.Version));
    }

    private static IEnumerable<string> AllIds() => LibraryAndToolIds().Append("ZmqGame.Templates");

    private static IEnumerable<string> LibraryAndToolIds() => Libraries.Concat(Tools.Select(t => t.Id));

    private static XElement Metadata(ZipArchive package, string id)
    {
        using var nuspec = package.GetEntry(id + ".nuspec")!.Open();
        var document = XDocument.Load(nuspec);
        return document.Root!.Element(document.Root.Name.Namespace + "metadata")!;
    }
}
