namespace LeadScore.TestKit;

/// <summary>
/// A clock that moves only when a test moves it (Microsoft.Extensions.TimeProvider.Testing is not referenced). Enough
/// for code that reads <see cref="TimeProvider.GetUtcNow"/>; timers are not simulated.
/// </summary>
public sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    private long _utcTicks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _utcTicks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _utcTicks, by.Ticks);

    public void Set(DateTimeOffset now) => Interlocked.Exchange(ref _utcTicks, now.UtcTicks);
}
