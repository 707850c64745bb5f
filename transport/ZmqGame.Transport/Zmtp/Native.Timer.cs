using System.Runtime.InteropServices;

namespace ZmqGame.Transport;

/// <summary>The timerfd calls: a one-shot timer on the monotonic clock that an epoll set watches like a socket.</summary>
internal static unsafe partial class Native
{
    private const int CLOCK_MONOTONIC = 1;
    private const int TFD_NONBLOCK = 0x800;
    private const int TFD_CLOEXEC = 0x80000;

    /// <summary>A disarmed, non-blocking timerfd on the monotonic clock; throws when it cannot be made.</summary>
    public static int TimerCreate() => Check(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));

    /// <summary>
    /// Arms <paramref name="fd"/> to become readable once, <paramref name="nanoseconds"/> from now (at least one; zero
    /// would disarm it). 0, or -errno.
    /// </summary>
    public static int TimerArm(int fd, long nanoseconds)
    {
        nanoseconds = Math.Max(1, nanoseconds);
        var spec = stackalloc long[4]; // struct itimerspec: it_interval (none), it_value
        spec[0] = 0;
        spec[1] = 0;
        spec[2] = nanoseconds / 1_000_000_000;
        spec[3] = nanoseconds % 1_000_000_000;
        return timerfd_settime(fd, 0, spec, null) == 0 ? 0 : -Marshal.GetLastPInvokeError();
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int timerfd_create(int clockId, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int timerfd_settime(int fd, int flags, long* newValue, long* oldValue);
}
