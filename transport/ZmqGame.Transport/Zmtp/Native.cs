using System.Runtime.InteropServices;

namespace ZmqGame.Transport;

/// <summary>
/// The Linux system calls the broker's own transport uses: epoll, eventfd and non-blocking stream sockets.
/// Nothing here allocates; errors come back as negative errno values.
/// </summary>
internal static unsafe partial class Native
{
    public const int EAGAIN = 11;
    public const int EINTR = 4;
    public const int ECONNABORTED = 103;

    public const uint EPOLLIN = 0x001;
    public const uint EPOLLOUT = 0x004;
    public const uint EPOLLERR = 0x008;
    public const uint EPOLLHUP = 0x010;
    public const uint EPOLLRDHUP = 0x2000;

    private const int EPOLL_CTL_ADD = 1;
    private const int EPOLL_CTL_DEL = 2;
    private const int EPOLL_CTL_MOD = 3;
    private const int EPOLL_CLOEXEC = 0x80000;
    private const int EFD_CLOEXEC = 0x80000;
    private const int EFD_NONBLOCK = 0x800;
    private const int SOCK_NONBLOCK = 0x800;
    private const int SOCK_CLOEXEC = 0x80000;
    private const int MSG_DONTWAIT = 0x40;
    private const int MSG_NOSIGNAL = 0x4000;
    private const int IPPROTO_TCP = 6;
    private const int SOL_SOCKET = 1;
    private const int SO_REUSEADDR = 2;
    private const int SO_ERROR = 4;
    private const int TCP_NODELAY = 1;

    /// <summary>glibc packs <c>struct epoll_event</c> on x86-64 only: 12 bytes there, 16 elsewhere.</summary>
    public static readonly int EventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    private static readonly int DataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    /// <summary>The broker's own transport runs where epoll does; elsewhere every endpoint goes through NetMQ.</summary>
    public static bool Supported => OperatingSystem.IsLinux();

    public static int EpollCreate() => Check(epoll_create1(EPOLL_CLOEXEC));

    public static int EpollAdd(int epfd, int fd, uint events, ulong data) => EpollCtl(epfd, EPOLL_CTL_ADD, fd, events, data);

    public static int EpollModify(int epfd, int fd, uint events, ulong data) => EpollCtl(epfd, EPOLL_CTL_MOD, fd, events, data);

    public static int EpollDelete(int epfd, int fd) => EpollCtl(epfd, EPOLL_CTL_DEL, fd, 0, 0);

    /// <summary>Waits for events into <paramref name="buffer"/> (<see cref="EventSize"/> bytes each); the count, or -errno.</summary>
    public static int EpollWait(int epfd, byte[] buffer, int timeoutMs)
    {
        fixed (byte* events = buffer)
        {
            var n = epoll_wait(epfd, events, buffer.Length / EventSize, timeoutMs);
            return n >= 0 ? n : -Marshal.GetLastPInvokeError();
        }
    }

    public static uint EventFlags(byte[] buffer, int index) =>
        MemoryMarshal.Read<uint>(buffer.AsSpan(index * EventSize));

    public static ulong EventData(byte[] buffer, int index) =>
        MemoryMarshal.Read<ulong>(buffer.AsSpan((index * EventSize) + DataOffset));

    public static int EventFd() => Check(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));

    /// <summary>Adds one to an eventfd (wakes an epoll_wait on it).</summary>
    public static void Signal(int fd)
    {
        ulong one = 1;
        _ = write(fd, &one, 8);
    }

    /// <summary>Reads and clears an eventfd.</summary>
    public static void Drain(int fd)
    {
        ulong value;
        _ = read(fd, &value, 8);
    }

    /// <summary>Accepts one pending connection as a non-blocking socket with TCP_NODELAY; the fd, or -errno.</summary>
    public static int Accept(int listener)
    {
        var fd = accept4(listener, null, null, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
        {
            return -Marshal.GetLastPInvokeError();
        }

        var one = 1;
        _ = setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(int));
        return fd;
    }

    /// <summary>
    /// The peer's IP address of a connected socket as 16 bytes, big-endian (IPv6; an IPv4 peer as <c>::ffff:a.b.c.d</c>);
    /// false when the socket has no peer any more.
    /// </summary>
    public static bool TryGetPeerAddress(int fd, out UInt128 address)
    {
        const ushort AfInet = 2;
        const ushort AfInet6 = 10;
        var storage = stackalloc byte[128];
        var length = 128;
        address = 0;
        if (getpeername(fd, storage, &length) != 0)
        {
            return false;
        }

        switch (*(ushort*)storage)
        {
            case AfInet:
                address = ((UInt128)0xFFFF << 32) | System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(storage + 4, 4));
                return true;
            case AfInet6:
                address = System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(new ReadOnlySpan<byte>(storage + 8, 16));
                return true;
            default:
                return false;
        }
    }

    /// <summary>Bytes read (0 at end of stream), or -errno.</summary>
    public static int Receive(int fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            var n = recv(fd, p, (nuint)buffer.Length, MSG_DONTWAIT);
            return n >= 0 ? (int)n : -Marshal.GetLastPInvokeError();
        }
    }

    /// <summary>Bytes written, or -errno (never raises SIGPIPE).</summary>
    public static int Send(int fd, ReadOnlySpan<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            var n = send(fd, p, (nuint)buffer.Length, MSG_DONTWAIT | MSG_NOSIGNAL);
            return n >= 0 ? (int)n : -Marshal.GetLastPInvokeError();
        }
    }

    /// <summary>
    /// Writes <paramref name="buffer"/> from <paramref name="start"/> up to <paramref name="count"/>, moving
    /// <paramref name="start"/> on, until all of it went (0), the socket takes no more for now (-EAGAIN: wait for
    /// EPOLLOUT) or it failed (another -errno). An interrupted send is tried again.
    /// </summary>
    public static int SendPending(int fd, byte[] buffer, ref int start, int count)
    {
        while (start < count)
        {
            var n = Send(fd, buffer.AsSpan(start, count - start));
            if (n == -EINTR)
            {
                continue;
            }

            if (n < 0)
            {
                return n;
            }

            start += n;
        }

        return 0;
    }

    public static void Close(int fd) => _ = close(fd);

    /// <summary>The pending error of a socket (SO_ERROR: how a non-blocking connect ended); 0 if none.</summary>
    public static int SocketError(int fd)
    {
        var error = 0;
        var length = sizeof(int);
        return getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 ? error : Marshal.GetLastPInvokeError();
    }

    /// <summary>SO_REUSEADDR, before bind.</summary>
    public static void SetReuseAddress(int fd)
    {
        var one = 1;
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(int));
    }

    private static int EpollCtl(int epfd, int op, int fd, uint events, ulong data)
    {
        var ev = stackalloc byte[16];
        *(uint*)ev = events;
        *(ulong*)(ev + DataOffset) = data;
        return epoll_ctl(epfd, op, fd, ev) == 0 ? 0 : -Marshal.GetLastPInvokeError();
    }

    private static int Check(int result) =>
        result >= 0 ? result : throw new IOException($"system call failed: errno {Marshal.GetLastPInvokeError()}");

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_create1(int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_ctl(int epfd, int op, int fd, byte* ev);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_wait(int epfd, byte* events, int maxEvents, int timeout);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int eventfd(uint initval, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int accept4(int fd, void* addr, void* addrlen, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getpeername(int fd, byte* addr, int* addrlen);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setsockopt(int fd, int level, int name, void* value, int length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getsockopt(int fd, int level, int name, void* value, int* length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint recv(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint send(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint read(int fd, void* buffer, nuint length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint write(int fd, void* buffer, nuint length);

    [LibraryImport("libc")]
    private static partial int close(int fd);
}
