using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;
using ZmqGame.Client;
using ZmqGame.Protocol;
using ZmqGame.Samples.Lobby;
using ZmqGame.Worker.Host;

namespace ZmqGame.Tests.Unity;

/// <summary>
/// What a client built ahead of time (Unity IL2CPP) serializes, through resolvers that make no code at run time:
/// ZmqGameResolver (ZmqGame's own messages and MessagePack's built-in, attribute and primitive-object resolvers) and
/// the Unity sample's resolver composed with it. No dynamic resolver is in either chain, so a type without a written
/// formatter fails with FormatterNotRegisteredException instead of getting a generated one.
/// </summary>
[TestFixture]
public sealed class ZmqGameResolverTests
{
    private static readonly MessagePackSerializerOptions Static = ZmqGameResolver.Options;

    [Test]
    public void Welcome_AsTheBrokerWritesIt_IsReadThroughTheStaticResolver()
    {
        var sent = FullWelcome();

        Assert.That(Welcome.TryParse(sent.Serialize(), out var read, Static), Is.True);

        Assert.That(read.Session, Is.EqualTo(sent.Session));
        Assert.That(read.Resumed, Is.True);
        Assert.That(read.TimeoutMs, Is.EqualTo(sent.TimeoutMs));
        Assert.That(read.User, Is.EqualTo("ann"));
        Assert.That(read.Flags, Is.EqualTo(sent.Flags));
        Assert.That(read.Groups, Is.EqualTo(sent.Groups));
        Assert.That(read.MaxMessageSize, Is.EqualTo(sent.MaxMessageSize));
        Assert.That(read.Idempotent, Is.EquivalentTo(sent.Idempotent!));
        AssertWritten(ZmqGameResolver.Instance.GetFormatter<Welcome>());
    }

    [Test]
    public void Welcome_HasTheBytesOfTheGeneratedFormatterItReplaces_SoOlderClientsAndBrokersReadIt()
    {
        var full = FullWelcome();
        var legacyFull = new LegacyWelcome
        {
            Session = full.Session, Resumed = full.Resumed, TimeoutMs = full.TimeoutMs, User = full.User, Flags = full.Flags,
            Groups = full.Groups, MaxMessageSize = full.MaxMessageSize, Idempotent = full.Idempotent,
        };
        var dynamic = MessagePackSerializerOptions.Standard.WithResolver(StandardResolverAllowPrivate.Instance);

        Assert.That(MessagePackSerializer.Serialize(full, Static), Is.EqualTo(MessagePackSerializer.Serialize(legacyFull, dynamic)));
        Assert.That(
            MessagePackSerializer.Serialize(new Welcome { Session = 9 }, Static),
            Is.EqualTo(MessagePackSerializer.Serialize(new LegacyWelcome { Session = 9 }, dynamic)));
        var back = MessagePackSerializer.Deserialize<LegacyWelcome>(full.Serialize(), dynamic);
        Assert.That((back.Session, back.User, back.Groups, back.Idempotent!["game"]), Is.EqualTo((full.Session, full.User, full.Groups, full.Idempotent!["game"])));
    }

    [Test]
    public void Welcome_WithKeysItDoesNotKnowOrMissing_KeepsWhatItKnows()
    {
        var map = new Dictionary<object, object?> { ["future"] = new object[] { 1, "x" }, ["session"] = 77UL, ["user"] = "bob" };

        Assert.That(Welcome.TryParse(MessagePackSerializer.Serialize<object>(map, Static), out var read, Static), Is.True);

        Assert.That((read.Session, read.User, read.Groups, read.Idempotent, read.MaxMessageSize), Is.EqualTo((77UL, "bob", (string[]?)null, (Dictionary<string, int[]>?)null, 0u)));
    }

    [TestCase(new byte[] { 0xC1 })]
    [TestCase(new byte[] { 0x81, 0xA7 })]
    [TestCase(new byte[] { 0x81, 0xA7, (byte)'s', (byte)'e', (byte)'s', (byte)'s', (byte)'i', (byte)'o', (byte)'n', 0xA1, (byte)'x' })]
    public void Welcome_Malformed_IsRefusedWithoutThrowing(byte[] frame)
    {
        Assert.That(Welcome.TryParse(frame, out _, Static), Is.False);
    }

    [Test]
    public void BuiltinPayloads_RoundTripThroughTheStaticResolver()
    {
        RoundTrip("text");
        RoundTrip(42);
        RoundTrip(-7L);
        RoundTrip(true);
        RoundTrip(2.5);
        RoundTrip(new byte[] { 1, 2, 3 });
        RoundTrip(new[] { "a", "b" });
        RoundTrip(new[] { 1, 2, 3 });
        RoundTrip(new List<int> { 4, 5 });
        RoundTrip(new Guid("01234567-89ab-cdef-0123-456789abcdef"));
        RoundTrip(new DateTime(2026, 12, 6, 10, 0, 0, DateTimeKind.Utc));

        // object: maps, arrays and primitives, read back as the primitive-object formatter reads them
        var map = MessagePackSerializer.Deserialize<object>(
            MessagePackSerializer.Serialize<object>(new Dictionary<object, object> { ["Room"] = "tavern", ["Members"] = new object[] { "ann" } }, Static), Static);
        Assert.That(map, Is.InstanceOf<IDictionary<object, object>>());
        Assert.That(((IDictionary<object, object>)map)["Room"], Is.EqualTo("tavern"));
    }

    [Test]
    public void AnAttributedTypeWithoutAFormatter_IsNotGenerated_ItFailsNamingTheType()
    {
        var ex = Assert.Throws<MessagePackSerializationException>(() => MessagePackSerializer.Serialize(new NoFormatter { Value = 1 }, Static));
        Assert.That(Causes(ex), Has.Some.InstanceOf<FormatterNotRegisteredException>());
        Assert.That(ex!.ToString(), Does.Contain(nameof(NoFormatter)));

        // Generic collections beyond the built-in ones are DynamicGenericResolver's, which is not in the chain either.
        var generic = Assert.Throws<MessagePackSerializationException>(() => MessagePackSerializer.Serialize(new Dictionary<string, int> { ["a"] = 1 }, Static));
        Assert.That(Causes(generic), Has.Some.InstanceOf<FormatterNotRegisteredException>());
    }

    [Test]
    public void LobbySampleMessages_ReadWhatTheWorkerWrites_AndTheWorkerReadsWhatTheyWrite()
    {
        var sample = LobbySerializer.Options;
        var worker = Payload.Options;

        var login = Cross<LobbyLoginRequest, Login>(new LobbyLoginRequest("ann"), worker, sample);
        Assert.That(login.Name, Is.EqualTo("ann"));
        var loginOk = Cross<LobbyLoginReply, LoginOk>(new LobbyLoginReply("ann", 12345678901UL), worker, sample);
        Assert.That((loginOk.User, loginOk.Session), Is.EqualTo(("ann", 12345678901UL)));
        Assert.That(Cross<LobbyRoomRequest, Join>(new LobbyRoomRequest("tavern"), worker, sample).Room, Is.EqualTo("tavern"));
        var joined = Cross<LobbyRoomReply, Joined>(new LobbyRoomReply("tavern", ["ann", "bob"]), worker, sample);
        Assert.That((joined.Room, joined.Members), Is.EqualTo(("tavern", new[] { "ann", "bob" })));
        var say = Cross<LobbySayRequest, Say>(new LobbySayRequest("tavern", "hi"), worker, sample);
        Assert.That((say.Room, say.Text), Is.EqualTo(("tavern", "hi")));
        var said = Cross<LobbySayReply, Said>(new LobbySayReply("tavern", 2), worker, sample);
        Assert.That((said.Room, said.Members), Is.EqualTo(("tavern", 2)));
        var line = Cross<LobbyChatLine, ChatLine>(new LobbyChatLine("tavern", "bob", "hi ann"), worker, sample);
        Assert.That((line.Room, line.From, line.Text), Is.EqualTo(("tavern", "bob", "hi ann")));
        var notice = Cross<LobbyNotice, Notice>(new LobbyNotice("tavern", "bob", "joined"), worker, sample);
        Assert.That((notice.Room, notice.User, notice.What), Is.EqualTo(("tavern", "bob", "joined")));

        foreach (var formatter in new object?[]
        {
            sample.Resolver.GetFormatter<Login>(), sample.Resolver.GetFormatter<LoginOk>(), sample.Resolver.GetFormatter<Join>(),
            sample.Resolver.GetFormatter<Joined>(), sample.Resolver.GetFormatter<Say>(), sample.Resolver.GetFormatter<Said>(),
            sample.Resolver.GetFormatter<ChatLine>(), sample.Resolver.GetFormatter<Notice>(), sample.Resolver.GetFormatter<Welcome>(),
        })
        {
            AssertWritten(formatter);
        }
    }

    /// <summary>The worker's message, written as the worker writes it, read as the sample's type; then back again, the same bytes.</summary>
    private static TSample Cross<TWorker, TSample>(TWorker message, MessagePackSerializerOptions worker, MessagePackSerializerOptions sample)
    {
        var bytes = MessagePackSerializer.Serialize(message, worker);
        var read = MessagePackSerializer.Deserialize<TSample>(bytes, sample);
        var back = MessagePackSerializer.Deserialize<TWorker>(MessagePackSerializer.Serialize(read, sample), worker);
        Assert.That(MessagePackSerializer.Serialize(back, worker), Is.EqualTo(bytes), typeof(TSample).Name);
        return read;
    }

    private static void RoundTrip<T>(T value)
    {
        AssertWritten(Static.Resolver.GetFormatter<T>());
        Assert.That(MessagePackSerializer.Deserialize<T>(MessagePackSerializer.Serialize(value, Static), Static), Is.EqualTo(value), typeof(T).Name);
    }

    /// <summary>A formatter exists and was compiled, not emitted at run time.</summary>
    private static void AssertWritten(object? formatter)
    {
        Assert.That(formatter, Is.Not.Null);
        Assert.That(formatter!.GetType().Assembly.IsDynamic, Is.False, formatter.GetType().FullName);
    }

    private static IEnumerable<Exception> Causes(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            yield return ex;
        }
    }

    private static Welcome FullWelcome() => new()
    {
        Session = 0x1234_5678_9ABC_DEF0,
        Resumed = true,
        TimeoutMs = 10_000,
        User = "ann",
        Flags = 5,
        Groups = ["room:tavern", "guild:red"],
        MaxMessageSize = 1 << 20,
        Idempotent = new() { ["game"] = [1, 2], ["lobby"] = [] },
    };

    /// <summary>The WELCOME map as the attribute-based (generated) formatter wrote it before WelcomeFormatter.</summary>
    [MessagePackObject]
    public sealed class LegacyWelcome
    {
        [Key("session")]
        public ulong Session { get; set; }

        [Key("resumed")]
        public bool Resumed { get; set; }

        [Key("timeout_ms")]
        public uint TimeoutMs { get; set; }

        [Key("user")]
        public string? User { get; set; }

        [Key("flags")]
        public ulong Flags { get; set; }

        [Key("groups")]
        public string[]? Groups { get; set; }

        [Key("max_message_size")]
        public uint MaxMessageSize { get; set; }

        [Key("idempotent")]
        public Dictionary<string, int[]>? Idempotent { get; set; }
    }

    [MessagePackObject]
    public sealed class NoFormatter
    {
        [Key(0)]
        public int Value { get; set; }
    }
}
