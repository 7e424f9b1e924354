namespace ProcActors.Host;

/// <summary>
/// When to run a gen-0 collection between two cycles, so that the runtime's own collections, which come wherever the
/// allocation budget runs out (in a scan, the pipeline, a scrape or a reply), rarely do. The state of a 10,000-process
/// agent makes every collection cost milliseconds (measured at 10k: 4–9 ms per gen-0 collection, 20–25 ms when one
/// reaches gen 2): that pause landed in whichever cycle ran out the budget, and was the worst of its update latencies.
/// Collected between cycles, once this much has been allocated since the last collection, the pause lands where no one
/// waits.
/// The runtime's budget is not public. When a gen-0 or gen-1 collection of its own comes before the threshold was
/// reached, its budget was smaller: the threshold falls to half of what had been allocated (never below a floor). A
/// full collection says nothing about the gen-0 budget (a large object, or another part of the program asking for
/// one) and teaches nothing. After <see cref="CleanPacesToRaise"/> collections of ours in a row the threshold doubles,
/// up to where it started, so that one odd collection does not leave the agent collecting every cycle for good.
/// </summary>
/// <param name="thresholdBytes">Collect once this much was allocated since the last collection (4 MiB: at 10k
/// processes and 270 KiB a cycle, one every ~15 cycles; below the gen-0 budget the runtime takes from the cache size).</param>
/// <param name="minThresholdBytes">The threshold never falls below this (a cycle at 50k allocates ~850 KiB).</param>
public sealed class CollectionPacer(long thresholdBytes = 4L << 20, long minThresholdBytes = 256L << 10)
{
    public const int CleanPacesToRaise = 8;

    private readonly long _maxThreshold = Math.Max(thresholdBytes, minThresholdBytes);
    private int _collections = -1;
    private int _full;
    private long _allocatedAtCollection;
    private bool _sinceACollection;
    private int _cleanPaces;

    /// <summary>Allocated bytes since the last collection that make the next one due.</summary>
    public long ThresholdBytes { get; private set; } = Math.Max(thresholdBytes, minThresholdBytes);

    /// <summary>Collections the runtime ran on its own between two calls (at work, not between cycles).</summary>
    public long Unpaced { get; private set; }

    /// <summary>
    /// Called after each published cycle (one thread at a time) with <see cref="GC.CollectionCount"/> of gen 0 and of
    /// gen 2, and <see cref="GC.GetTotalAllocatedBytes"/>; true: collect gen 0 now, then call <see cref="Collected"/>.
    /// </summary>
    public bool ShouldCollect(int collections, int fullCollections, long allocatedBytes)
    {
        if (collections != _collections)
        {
            if (_collections >= 0)
            {
                Unpaced += collections - _collections;
                // The runtime's gen-0 budget ran out within what was allocated since the last collection: below the
                // threshold, the threshold was too high. From the first call, what came before it is unknown.
                var since = allocatedBytes - _allocatedAtCollection;
                if (_sinceACollection && fullCollections == _full && since < ThresholdBytes)
                {
                    ThresholdBytes = Math.Max(minThresholdBytes, since / 2);
                    _cleanPaces = 0;
                }
            }
            _sinceACollection = _collections >= 0;
            Observed(collections, fullCollections, allocatedBytes);
            return false;
        }
        return allocatedBytes - _allocatedAtCollection >= ThresholdBytes;
    }

    /// <summary>After a collection of ours (paced, or any other the agent asked for): not the runtime's own.</summary>
    /// <param name="paced">A gen-0 collection this pacer asked for (a trim is the agent's too, but no sign of the budget).</param>
    public void Collected(int collections, int fullCollections, long allocatedBytes, bool paced = true)
    {
        Observed(collections, fullCollections, allocatedBytes);
        _sinceACollection = true;
        if (!paced || ++_cleanPaces < CleanPacesToRaise) return;
        _cleanPaces = 0;
        ThresholdBytes = Math.Min(_maxThreshold, ThresholdBytes * 2);
    }

    private void Observed(int collections, int fullCollections, long allocatedBytes)
    {
        _collections = collections;
        _full = fullCollections;
        _allocatedAtCollection = allocatedBytes;
    }
}
