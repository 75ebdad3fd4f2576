using LeadScore.Core;

namespace LeadScore.Application.Governance;

/// <summary>
/// Who is acting now, for the audit log. An entry point says it explicitly: the server's auth sets the API key or
/// dashboard user for the request (<see cref="Use"/>, flowing with the request's async calls), the CLI host sets the
/// OS user for the process (<see cref="Default"/>). Use cases may also pass an <see cref="Actor"/> themselves; nothing
/// guesses. Without either, the actor is <see cref="Default"/> (<c>system:leadscore</c> until an entry point sets it).
/// </summary>
public sealed class ActorContext
{
    private readonly AsyncLocal<Actor?> _current = new();

    /// <summary>The process's actor when no request set one (the CLI's OS user; background work on a server).</summary>
    public Actor Default { get; set; } = Actor.System("leadscore");

    public Actor Current => _current.Value ?? Default;

    /// <summary>Sets the actor for the current async flow until the returned scope is disposed.</summary>
    public IDisposable Use(Actor actor)
    {
        var previous = _current.Value;
        _current.Value = actor;
        return new Scope(this, previous);
    }

    private sealed class Scope(ActorContext owner, Actor? previous) : IDisposable
    {
        public void Dispose() => owner._current.Value = previous;
    }
}
