using ZmqGame.Broker.Limits;
using ZmqGame.Tests.Support;

namespace ZmqGame.Tests.Broker.Limits;

/// <summary>The token bucket of the abuse limits, on a clock that moves only when the test says so.</summary>
[TestFixture]
public sealed class TokenBucketTests
{
    private readonly ManualTimeProvider _time = new();

    [Test]
    public void TryTake_FullBucket_AdmitsExactlyTheBurstAtOnce()
    {
        var limit = new RateLimit(perSecond: 10, burst: 5, _time.TimestampFrequency);
        var bucket = default(TokenBucket);

        var admitted = Enumerable.Range(0, 20).Count(_ => limit.TryTake(ref bucket, _time.GetTimestamp()));

        Assert.That(admitted, Is.EqualTo(5));
    }

    [Test]
    public void TryTake_EmptyBucket_RefillsAtTheRate()
    {
        var limit = new RateLimit(perSecond: 10, burst: 5, _time.TimestampFrequency);
        var bucket = default(TokenBucket);
        while (limit.TryTake(ref bucket, _time.GetTimestamp()))
        {
        }

        _time.Advance(TimeSpan.FromMilliseconds(99));
        Assert.That(limit.TryTake(ref bucket, _time.GetTimestamp()), Is.False, "less than a token's time (100 ms) has passed");
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.That(limit.TryTake(ref bucket, _time.GetTimestamp()), Is.True, "one token after 100 ms");
        Assert.That(limit.TryTake(ref bucket, _time.GetTimestamp()), Is.False, "and only one");

        _time.Advance(TimeSpan.FromSeconds(1));
        var admitted = Enumerable.Range(0, 20).Count(_ => limit.TryTake(ref bucket, _time.GetTimestamp()));
        Assert.That(admitted, Is.EqualTo(5), "a second refills ten tokens, but the bucket holds five");
    }

    [Test]
    public void TryTake_SteadyRate_AdmitsRateTimesSecondsPlusBurst()
    {
        var limit = new RateLimit(perSecond: 50, burst: 100, _time.TimestampFrequency);
        var bucket = default(TokenBucket);
        var admitted = 0;
        for (var ms = 0; ms < 10_000; ms++)
        {
            // Four tries a millisecond: 4000/s against a limit of 50/s.
            for (var i = 0; i < 4; i++)
            {
                admitted += limit.TryTake(ref bucket, _time.GetTimestamp()) ? 1 : 0;
            }

            _time.Advance(TimeSpan.FromMilliseconds(1));
        }

        Assert.That(admitted, Is.InRange(100 + 500 - 1, 100 + 500 + 1));
    }

    [Test]
    public void TryTake_Refused_LeavesTheBucketAsItWas()
    {
        var limit = new RateLimit(perSecond: 1, burst: 1, _time.TimestampFrequency);
        var bucket = default(TokenBucket);
        Assert.That(limit.TryTake(ref bucket, _time.GetTimestamp()), Is.True);
        var before = bucket.FullAt;

        Assert.That(limit.TryTake(ref bucket, _time.GetTimestamp()), Is.False);

        Assert.That(bucket.FullAt, Is.EqualTo(before), "a refused request does not push the refill further away");
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.That(limit.TryTake(ref bucket, _time.GetTimestamp()), Is.True);
    }

    [Test]
    public void TryTake_RateZero_IsOff()
    {
        var limit = new RateLimit(perSecond: 0, burst: 0, _time.TimestampFrequency);
        var bucket = default(TokenBucket);

        Assert.That(limit.IsOn, Is.False);
        Assert.That(Enumerable.Range(0, 10_000).All(_ => limit.TryTake(ref bucket, _time.GetTimestamp())), Is.True);
    }

    [Test]
    public void IsFull_AfterBurstTimeHasPassed()
    {
        var limit = new RateLimit(perSecond: 2, burst: 2, _time.TimestampFrequency);
        var bucket = default(TokenBucket);
        Assert.That(RateLimit.IsFull(bucket, _time.GetTimestamp()), Is.True, "a bucket never used is full");
        limit.TryTake(ref bucket, _time.GetTimestamp());
        Assert.That(RateLimit.IsFull(bucket, _time.GetTimestamp()), Is.False);
        _time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.That(RateLimit.IsFull(bucket, _time.GetTimestamp()), Is.True);
    }
}
