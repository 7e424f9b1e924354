namespace ProcActors.Actors.View;

/// <summary>
/// The answers of the view now served and of the one before it. A paged answer's later pages are asked with the cycle
/// its page 0 named; an asker fetching pages across the end of a cycle still gets them all from that one cycle.
/// </summary>
public sealed class QueryCache(string version, DateTimeOffset startedAt)
{
    private ViewQueries? _current;
    private ViewQueries? _previous;

    /// <summary>The answers of <paramref name="view"/>, computed once per view.</summary>
    public ViewQueries Of(NodeView view)
    {
        if (!ReferenceEquals(_current?.View, view))
        {
            _previous = _current;
            _current = new ViewQueries(view, version, startedAt);
        }
        return _current;
    }

    /// <summary>
    /// Where page <paramref name="page"/> of the answer of <paramref name="cycle"/> comes from: that cycle's answers
    /// while they are the current or the previous ones; otherwise page 0 of the current answers (the asker sees the
    /// new cycle and starts again). Page 0, or no cycle named, is always of the current view.
    /// </summary>
    public ViewQueries ForPage(NodeView current, long cycle, int page, out int pageToAnswer)
    {
        var queries = Of(current);
        pageToAnswer = page;
        if (page == 0 || cycle == 0 || queries.Cycle == cycle) return queries;
        if (_previous is { } previous && previous.Cycle == cycle) return previous;
        pageToAnswer = 0;
        return queries;
    }
}
