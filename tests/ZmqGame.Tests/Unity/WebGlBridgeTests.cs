using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.RegularExpressions;

namespace ZmqGame.Tests.Unity;

/// <summary>
/// The Unity package's WebGL bridge (client/unity/Runtime/WebGL and Plugins/WebGL/ZmqGameWebSocket.jslib), which only a
/// browser runs: its C# compiles as a WebGL build compiles it (UNITY_WEBGL, against ZmqGame.Transport alone, as its
/// asmdef says), and its two halves agree: every <c>[DllImport("__Internal")]</c> function is in the jslib with as many
/// parameters, and every callback the jslib calls back has the signature of the C# delegate it was given.
/// </summary>
[TestFixture]
public sealed partial class WebGlBridgeTests
{
    private static readonly string Root = typeof(WebGlBridgeTests).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepositoryRoot").Value!;

    private static readonly string Package = Path.Combine(Root, "client", "unity");

    private static readonly string Bridge = File.ReadAllText(Path.Combine(Package, "Runtime", "WebGL", "WebGlWebSocketBridge.cs"));

    private static readonly string Jslib = File.ReadAllText(Path.Combine(Package, "Plugins", "WebGL", "ZmqGameWebSocket.jslib"));

    [Test]
    public void WebGlBuild_CompilesTheBridge_AgainstZmqGameTransportAlone()
    {
        using var pe = new PEReader(File.OpenRead(Path.Combine(ConsumerOutput(), "ZmqGame.Unity.WebGl.Consumer.dll")));
        var reader = pe.GetMetadataReader();
        var types = reader.TypeDefinitions.Select(h => reader.GetTypeDefinition(h))
            .Select(t => reader.GetString(t.Namespace) + "." + reader.GetString(t.Name)).ToList();
        var references = reader.AssemblyReferences.Select(r => reader.GetString(reader.GetAssemblyReference(r).Name)).ToList();

        Assert.That(types, Does.Contain("ZmqGame.Client.WebGL.WebGlWebSocketBridge").And.Contain("ZmqGame.Client.WebGL.WebGlWebSocketPump"),
            "the #if UNITY_WEBGL block was compiled");
        Assert.That(references, Does.Contain("ZmqGame.Transport").And.Not.Contain("ZmqGame.Client").And.Not.Contain("NetMQ"));

        var asmdef = File.ReadAllText(Path.Combine(Package, "Runtime", "ZmqGame.Client.WebGL.asmdef"));
        Assert.That(asmdef, Does.Contain("\"ZmqGame.Transport.dll\""));
    }

    [Test]
    public void EveryInternalExtern_IsAJslibFunction_WithAsManyParameters_AndTheJslibHasNoOther()
    {
        var externs = ExternPattern().Matches(Bridge).ToDictionary(m => m.Groups["name"].Value, m => Count(m.Groups["parameters"].Value));
        var functions = JslibFunctionPattern().Matches(Jslib).ToDictionary(m => m.Groups["name"].Value, m => Count(m.Groups["parameters"].Value));

        Assert.That(externs, Has.Count.EqualTo(5));
        Assert.That(Regex.Count(Bridge, @"\[DllImport\(""__Internal""\)\]"), Is.EqualTo(externs.Count), "each extern is __Internal");
        Assert.That(functions, Is.EquivalentTo(externs));
    }

    [Test]
    public void EveryCallback_IsCalledWithTheSignatureOfItsDelegate_AndIsAMonoPInvokeCallback()
    {
        // ZmqGameWebSocket_SetCallbacks(OpenCallback onOpen, MessageCallback onMessage, …): which delegate each slot has.
        var setCallbacks = Regex.Match(Bridge, @"extern void ZmqGameWebSocket_SetCallbacks\((?<parameters>[^)]*)\)").Groups["parameters"].Value;
        var slots = setCallbacks.Split(',').Select(p => p.Trim().Split(' ')).ToDictionary(p => p[1], p => p[0]);
        var delegates = DelegatePattern().Matches(Bridge).ToDictionary(m => m.Groups["name"].Value, m => Count(m.Groups["parameters"].Value));
        var calls = DynCallPattern().Matches(Jslib).Select(m => (Signature: m.Groups["signature"].Value, Slot: m.Groups["slot"].Value)).ToList();

        Assert.That(slots.Keys, Is.EquivalentTo(new[] { "onOpen", "onMessage", "onError", "onClose" }));
        Assert.That(calls.Select(c => c.Slot).Distinct(), Is.EquivalentTo(slots.Keys), "the jslib calls every callback back");
        foreach (var (signature, slot) in calls)
        {
            var callback = slots[slot];
            Assert.That(signature, Is.EqualTo("v" + new string('i', delegates[callback])), $"{slot}: {callback}");
            Assert.That(Bridge, Does.Contain($"[MonoPInvokeCallback(typeof({callback}))]"), callback);
        }
    }

    private static int Count(string parameters) => parameters.Trim().Length == 0 ? 0 : parameters.Split(',').Length;

    private static string ConsumerOutput()
    {
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string[] candidates =
        [
            Path.Combine(Package, "Consumer~", "ZmqGame.Unity.WebGl.Consumer", "bin", testBin.Parent!.Name, "netstandard2.1"),
            Path.Combine(testBin.Parent!.Parent!.FullName, "ZmqGame.Unity.WebGl.Consumer", testBin.Name),
        ];
        return candidates.FirstOrDefault(c => File.Exists(Path.Combine(c, "ZmqGame.Unity.WebGl.Consumer.dll")))
            ?? throw new FileNotFoundException($"ZmqGame.Unity.WebGl.Consumer is not built (looked in {string.Join(", ", candidates)})");
    }

    [GeneratedRegex(@"static extern \w+ (?<name>ZmqGameWebSocket_\w+)\((?<parameters>[^)]*)\);")]
    private static partial Regex ExternPattern();

    [GeneratedRegex(@"^\s*(?<name>ZmqGameWebSocket_\w+): function \((?<parameters>[^)]*)\)", RegexOptions.Multiline)]
    private static partial Regex JslibFunctionPattern();

    [GeneratedRegex(@"delegate void (?<name>\w+Callback)\((?<parameters>[^)]*)\);")]
    private static partial Regex DelegatePattern();

    [GeneratedRegex(@"makeDynCall\('(?<signature>\w+)', 'ZmqGameSockets\.(?<slot>\w+)'\)")]
    private static partial Regex DynCallPattern();
}
