using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.Versioning;
using System.Text.Json;
using System.Xml.Linq;

namespace ZmqGame.Tests.Unity;

/// <summary>
/// The Unity package (client/unity): its package.json lists exactly the DLLs the netstandard2.1 consumer needs, the
/// consumer is built against the netstandard2.1 builds only, and ZmqGame's DLLs create nothing by reflection (so
/// IL2CPP's code stripping cannot remove what they use, and they need no link.xml).
/// </summary>
[TestFixture]
public sealed class UnityPackageTests
{
    private static readonly string Root = typeof(UnityPackageTests).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepositoryRoot").Value!;

    private static readonly string Package = Path.Combine(Root, "client", "unity");

    [Test]
    public void PackageJson_NamesThePackage_AndListsExactlyTheDllsTheConsumerIsBuiltWith()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Package, "package.json")));
        var root = json.RootElement;
        var version = XDocument.Load(Path.Combine(Root, "Directory.Build.props")).Descendants("VersionPrefix").Single().Value;

        Assert.That(root.GetProperty("name").GetString(), Is.EqualTo("com.zmqgame.client"));
        Assert.That(root.GetProperty("version").GetString(), Is.EqualTo(version));
        var sample = root.GetProperty("samples")[0].GetProperty("path").GetString()!;
        Assert.That(File.Exists(Path.Combine(Package, sample, "ZmqGameLobby.cs")), Is.True, sample);

        var listed = root.GetProperty("plugins").GetProperty("dlls").EnumerateArray().Select(d => d.GetString()!).ToList();
        var built = Directory.GetFiles(ConsumerOutput(), "*.dll").Select(Path.GetFileName).Where(f => f != "ZmqGame.Unity.Consumer.dll").ToList();
        Assert.That(listed, Is.Unique);
        Assert.That(listed, Is.EquivalentTo(built), "package.json's plugins.dlls against the consumer's netstandard2.1 output");
    }

    [Test]
    public void Consumer_IsANetStandard21Library_BuiltOnTheNetStandard21ClientLibraries()
    {
        var output = ConsumerOutput();
        using (var consumer = Open(Path.Combine(output, "ZmqGame.Unity.Consumer.dll")))
        {
            var reader = consumer.GetMetadataReader();
            Assert.That(TargetFramework(reader), Is.EqualTo(".NETStandard,Version=v2.1"));
            var references = reader.AssemblyReferences.Select(r => reader.GetString(reader.GetAssemblyReference(r).Name)).ToList();
            Assert.That(references, Does.Contain("netstandard").And.Contain("ZmqGame.Client").And.Not.Contain("System.Runtime"));
        }

        foreach (var library in new[] { "ZmqGame.Client", "ZmqGame.Protocol", "ZmqGame.Transport" })
        {
            using var pe = Open(Path.Combine(output, library + ".dll"));
            Assert.That(TargetFramework(pe.GetMetadataReader()), Is.EqualTo(".NETStandard,Version=v2.1"), library);
        }
    }

    [Test]
    public void ZmqGameLibraries_CreateNothingByReflection_SoCodeStrippingKeepsWhatTheyUse()
    {
        string[] reflective = ["CreateInstance", "GetType", "MakeGenericType", "MakeGenericMethod", "GetMethod", "GetMethods",
            "GetConstructor", "GetConstructors", "GetProperty", "GetProperties", "GetField", "GetFields", "InvokeMember"];
        foreach (var library in new[] { "ZmqGame.Client", "ZmqGame.Protocol", "ZmqGame.Transport" })
        {
            using var pe = Open(Path.Combine(ConsumerOutput(), library + ".dll"));
            var reader = pe.GetMetadataReader();
            var calls = reader.MemberReferences
                .Select(h => reader.GetMemberReference(h))
                .Where(m => m.Parent.Kind == HandleKind.TypeReference && reflective.Contains(reader.GetString(m.Name)))
                .Select(m => (Type: TypeName(reader, (TypeReferenceHandle)m.Parent), Member: reader.GetString(m.Name)))
                .Where(c => c.Type is "System.Activator" or "System.Type" || c.Type.StartsWith("System.Reflection.", StringComparison.Ordinal))
                .Select(c => c.Type + "." + c.Member)
                .ToList();
            Assert.That(calls, Is.Empty, $"{library} reflects: add what it needs to a link.xml in client/unity and document it");
        }
    }

    private static string ConsumerOutput()
    {
        // Same configuration as this test assembly: …/bin/<Configuration>/net10.0/, or with --artifacts-path
        // <artifacts>/bin/<project>/<configuration>/.
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string[] candidates =
        [
            Path.Combine(Package, "Consumer~", "ZmqGame.Unity.Consumer", "bin", testBin.Parent!.Name, "netstandard2.1"),
            Path.Combine(testBin.Parent!.Parent!.FullName, "ZmqGame.Unity.Consumer", testBin.Name),
        ];
        return candidates.FirstOrDefault(c => File.Exists(Path.Combine(c, "ZmqGame.Unity.Consumer.dll")))
            ?? throw new FileNotFoundException($"ZmqGame.Unity.Consumer is not built (looked in {string.Join(", ", candidates)})");
    }

    private static PEReader Open(string path) => new(File.OpenRead(path));

    private static string TypeName(MetadataReader reader, TypeReferenceHandle handle)
    {
        var type = reader.GetTypeReference(handle);
        return reader.GetString(type.Namespace) + "." + reader.GetString(type.Name);
    }

    private static string? TargetFramework(MetadataReader reader)
    {
        foreach (var handle in reader.GetAssemblyDefinition().GetCustomAttributes())
        {
            var attribute = reader.GetCustomAttribute(handle);
            if (attribute.Constructor.Kind == HandleKind.MemberReference
                && reader.GetMemberReference((MemberReferenceHandle)attribute.Constructor).Parent is { Kind: HandleKind.TypeReference } parent
                && TypeName(reader, (TypeReferenceHandle)parent) == typeof(TargetFrameworkAttribute).FullName)
            {
                var value = reader.GetBlobReader(attribute.Value);
                value.ReadUInt16(); // prolog
                return value.ReadSerializedString();
            }
        }

        return null;
    }
}
