namespace LeadScore.Application.Simulation;

/// <summary>
/// A clock that moves only when told: what <c>simulate</c> passes in through <c>LeadScoreHostSettings.Time</c>, so stores, jobs,
/// scoring, monitoring and the continuous-learning loop all read the simulated day. It never goes back.
/// </summary>
public sealed class SimulatedClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    /// <summary>Moves the clock to <paramref name="at"/>; refuses to go back (stores and leases assume time only moves on).</summary>
    public void MoveTo(DateTimeOffset at)
    {
        if (at < GetUtcNow()) throw new InvalidOperationException($"the simulated clock cannot go back from {GetUtcNow():O} to {at:O}");
        Interlocked.Exchange(ref _ticks, at.UtcTicks);
    }
}
