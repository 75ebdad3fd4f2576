using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace LeadScore.Server.Api;

/// <summary>
/// Tells a database that cannot be reached (or is too busy to answer now) from a bug: the first is the client's cue to
/// retry (503 with Retry-After), the second a 500. Both backends' errors are judged here, in one place.
/// </summary>
internal static class StoreOutage
{
    /// <summary>What a client is told to wait before retrying.</summary>
    public const int RetryAfterSeconds = 5;

    public static bool Is(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case SocketException or TimeoutException:
                    return true;
                case PostgresException pg:
                    // Connection (08), resources (53), operator intervention (57: shutdown, cannot connect now),
                    // system errors (58), and a database that is gone or closed to connections.
                    if (pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState.StartsWith("53", StringComparison.Ordinal)
                        || pg.SqlState.StartsWith("57P", StringComparison.Ordinal) || pg.SqlState.StartsWith("58", StringComparison.Ordinal)
                        || pg.SqlState is "3D000" or "55000")
                        return true;
                    return false;
                case NpgsqlException npg when npg.IsTransient:
                    return true;
                case NpgsqlException:
                    break; // look at the cause: a broken stream is wrapped one level down
                case SqliteException sqlite:
                    // SQLITE_BUSY, SQLITE_LOCKED: another writer holds the file longer than the busy timeout;
                    // SQLITE_CANTOPEN: the file (or its volume) is gone.
                    return sqlite.SqliteErrorCode is 5 or 6 or 14;
            }
        }
        return false;
    }
}
