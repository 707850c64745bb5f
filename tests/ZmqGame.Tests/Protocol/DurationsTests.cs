using System.ComponentModel;
using Microsoft.Extensions.Configuration;
using ZmqGame.Protocol;

namespace ZmqGame.Tests.Protocol;

[TestFixture]
public sealed class DurationsTests
{
    [TestCase("250ms", 250)]
    [TestCase("5s", 5_000)]
    [TestCase("1.5s", 1_500)]
    [TestCase("1m", 60_000)]
    [TestCase("0s", 0)]
    [TestCase("00:00:10", 10_000)]
    [TestCase("00:00:02.5", 2_500)]
    [TestCase("01:00:00", 3_600_000)]
    [TestCase("1.00:00:00", 86_400_000)]
    [TestCase(" 5s ", 5_000)]
    public void TryParse_AcceptsUnitsAndTimeSpanFormat(string text, double milliseconds)
    {
        Assert.That(Durations.TryParse(text, out var value), Is.True);
        Assert.That(value, Is.EqualTo(TimeSpan.FromMilliseconds(milliseconds)));
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("5")]
    [TestCase("abc")]
    [TestCase("5x")]
    [TestCase("ms")]
    [TestCase("-5s")]
    [TestCase("-00:00:05")]
    [TestCase("5 s")]
    [TestCase("1e3ms")]
    [TestCase("5h")]
    [TestCase("99:99:99x")]
    public void TryParse_RefusesAnythingElse(string? text)
    {
        Assert.That(Durations.TryParse(text, out _), Is.False);
    }

    [Test]
    public void Parse_BadText_ThrowsFormatExceptionNamingTheSyntax()
    {
        var error = Assert.Throws<FormatException>(() => Durations.Parse("5x"))!;
        Assert.That(error.Message, Does.Contain("'5x'").And.Contain(Durations.Syntax));
    }

    [Test]
    public void UseForConfiguration_BindsUnitsAndTimeSpanFormat_ToTimeSpanProperties()
    {
        Durations.UseForConfiguration();
        Durations.UseForConfiguration();
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["S:Short"] = "250ms",
                ["S:Long"] = "00:01:00",
                ["S:Optional"] = "2s",
            })
            .Build();

        var settings = configuration.GetSection("S").Get<DurationSettings>()!;

        Assert.Multiple(() =>
        {
            Assert.That(settings.Short, Is.EqualTo(TimeSpan.FromMilliseconds(250)));
            Assert.That(settings.Long, Is.EqualTo(TimeSpan.FromMinutes(1)));
            Assert.That(settings.Optional, Is.EqualTo(TimeSpan.FromSeconds(2)));
            Assert.That(TypeDescriptor.GetConverter(typeof(TimeSpan)).ConvertFromInvariantString("1m"), Is.EqualTo(TimeSpan.FromMinutes(1)));
        });
    }

    [Test]
    public void UseForConfiguration_BadValue_FailsNamingTheKey()
    {
        Durations.UseForConfiguration();
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["S:Short"] = "5x" })
            .Build();

        var error = Assert.Throws<InvalidOperationException>(() => configuration.GetSection("S").Get<DurationSettings>())!;
        Assert.That(error.Message, Does.Contain("S:Short"));
    }

    private sealed class DurationSettings
    {
        public TimeSpan Short { get; set; }

        public TimeSpan Long { get; set; }

        public TimeSpan? Optional { get; set; }
    }
}
