namespace ZmqGame.Client.Internal;

/// <summary>
/// The requests by deadline, soonest first: a binary min-heap on an array (no allocation per entry, and available on
/// every target, netstandard2.1 included). An entry stays until its deadline is reached or the owner removes the ended
/// ones from the top; it is never updated in place: a later deadline is a new entry. I/O thread only.
/// </summary>
internal sealed class DeadlineHeap
{
    private Entry[] entries = new Entry[16];

    public int Count { get; private set; }

    /// <summary>The soonest deadline; <see cref="long.MaxValue"/> when empty.</summary>
    public long Soonest => Count == 0 ? long.MaxValue : entries[0].Deadline;

    /// <summary>The request with the soonest deadline. Not when empty.</summary>
    public PendingRequest Top => entries[0].Request;

    public void Push(long deadline, PendingRequest request)
    {
        if (Count == entries.Length)
        {
            Array.Resize(ref entries, entries.Length * 2);
        }

        var i = Count++;
        while (i > 0)
        {
            var parent = (i - 1) / 2;
            if (entries[parent].Deadline <= deadline)
            {
                break;
            }

            entries[i] = entries[parent];
            i = parent;
        }

        entries[i] = new Entry(deadline, request);
    }

    /// <summary>Removes the soonest. Not when empty.</summary>
    public void Pop()
    {
        var last = entries[--Count];
        entries[Count] = default;
        if (Count > 0)
        {
            SiftDown(0, last);
        }
    }

    /// <summary>Drops every entry <paramref name="remove"/> says yes to (the ended requests, all at once).</summary>
    public void RemoveWhere(Func<PendingRequest, bool> remove)
    {
        var kept = 0;
        for (var i = 0; i < Count; i++)
        {
            if (!remove(entries[i].Request))
            {
                entries[kept++] = entries[i];
            }
        }

        Array.Clear(entries, kept, Count - kept);
        Count = kept;
        for (var i = (Count / 2) - 1; i >= 0; i--)
        {
            SiftDown(i, entries[i]);
        }
    }

    private void SiftDown(int i, Entry moving)
    {
        while (true)
        {
            var child = (2 * i) + 1;
            if (child >= Count)
            {
                break;
            }

            if (child + 1 < Count && entries[child + 1].Deadline < entries[child].Deadline)
            {
                child++;
            }

            if (entries[child].Deadline >= moving.Deadline)
            {
                break;
            }

            entries[i] = entries[child];
            i = child;
        }

        entries[i] = moving;
    }

    private readonly struct Entry(long deadline, PendingRequest request)
    {
        public long Deadline { get; } = deadline;

        public PendingRequest Request { get; } = request;
    }
}
