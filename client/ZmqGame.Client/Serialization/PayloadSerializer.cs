using System.Runtime.CompilerServices;
using MessagePack;
using ZmqGame.Protocol;

namespace ZmqGame.Client.Internal;

/// <summary>The MessagePack settings a client reads and writes its payloads with when the game gives none.</summary>
internal static class PayloadSerializer
{
    /// <summary>
    /// Where the runtime makes code (the JIT), MessagePack's standard resolver, as the worker library uses: attributed
    /// types need nothing more. Where it cannot (IL2CPP and other ahead-of-time runtimes), <see cref="ZmqGameResolver"/>
    /// alone, so that a type with no formatter fails naming it instead of reaching code generation.
    /// </summary>
    public static MessagePackSerializerOptions Default { get; } =
        RuntimeFeature.IsDynamicCodeSupported ? Payload.Options : ZmqGameResolver.Options;

    /// <summary>The game's <see cref="ZmqGameClientOptions.SerializerOptions"/>, else <see cref="Default"/>.</summary>
    public static MessagePackSerializerOptions For(ZmqGameClientOptions options) => options.SerializerOptions ?? Default;
}
