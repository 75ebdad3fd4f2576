using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Connections;

namespace LeadScore.Server.Api;

/// <summary>
/// Gives Kestrel's own 400 answers a ProblemDetails body. Kestrel refuses some requests before the pipeline runs (a NUL
/// in the path, a malformed request line or header) with an empty 400 and closes the connection; no middleware sees
/// them and Kestrel has no hook for their body. This connection middleware recognises that exact answer as it is
/// written (status line, Content-Length: 0, Connection: close, nothing after the headers) and writes it with a body.
/// Every other write passes straight through, without a copy.
/// </summary>
internal static class KestrelBadRequestBodies
{
    private static readonly byte[] StatusLine = "HTTP/1.1 400 Bad Request\r\n"u8.ToArray();
    private static readonly byte[] EmptyLength = "Content-Length: 0\r\n"u8.ToArray();
    private static readonly byte[] Close = "Connection: close\r\n"u8.ToArray();
    private static readonly byte[] End = "\r\n\r\n"u8.ToArray();

    private static readonly byte[] Body = Encoding.UTF8.GetBytes(
        """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"Bad request","status":400,"detail":"The request line or headers are malformed (for example a NUL or control character in the path); the server refused it before reading it.","field":"path"}""");

    public static ConnectionDelegate Use(ConnectionDelegate next) => context =>
    {
        var transport = context.Transport;
        context.Transport = new Pipe(transport.Input, new Writer(transport.Output));
        return next(context);
    };

    /// <summary>The rewritten answer, or null when <paramref name="written"/> is not Kestrel's empty 400.</summary>
    internal static byte[]? Rewrite(ReadOnlySpan<byte> written)
    {
        if (!written.StartsWith(StatusLine) || !written.EndsWith(End) || written.IndexOf(Close) < 0) return null;
        var at = written.IndexOf(EmptyLength);
        if (at < 0) return null;
        var headers = Encoding.ASCII.GetBytes($"Content-Type: application/problem+json\r\nContent-Length: {Body.Length}\r\n");
        var result = new byte[written.Length - EmptyLength.Length + headers.Length + Body.Length];
        var span = result.AsSpan();
        written[..at].CopyTo(span);
        headers.CopyTo(span[at..]);
        written[(at + EmptyLength.Length)..].CopyTo(span[(at + headers.Length)..]);
        Body.CopyTo(span[(written.Length - EmptyLength.Length + headers.Length)..]);
        return result;
    }

    private sealed class Pipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }

    /// <summary>
    /// Passes every call to the transport's writer; on Advance it looks at the bytes just written (still uncommitted in
    /// the transport's buffer) and, for Kestrel's empty 400, writes the answer with a body over them instead.
    /// </summary>
    private sealed class Writer(PipeWriter inner) : PipeWriter
    {
        private Memory<byte> _last;

        public override Memory<byte> GetMemory(int sizeHint = 0) => _last = inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => (_last = inner.GetMemory(sizeHint)).Span;

        public override void Advance(int bytes)
        {
            if (bytes >= StatusLine.Length && bytes <= _last.Length && _last.Span[0] == (byte)'H' && Rewrite(_last.Span[..bytes]) is { } answer)
            {
                inner.Write(answer);
                return;
            }
            inner.Advance(bytes);
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);
        public override void CancelPendingFlush() => inner.CancelPendingFlush();
        public override void Complete(Exception? exception = null) => inner.Complete(exception);
        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);
        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;
        public override long UnflushedBytes => inner.UnflushedBytes;
    }
}
