using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace ModelRace.Providers.Connectors;

/// <summary>
/// Sits under every connector's HttpClient: turns HTTP failures into EndpointExceptions that name the model, URL
/// and key variable, and remembers the tail of each reply body so a malformed one can be quoted.
/// </summary>
public sealed class WireGuardHandler(EndpointContext context, HttpMessageHandler inner) : DelegatingHandler(inner)
{
    private const int SnippetLength = 300;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await base.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            var refused = e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused } || e.HttpRequestError == HttpRequestError.ConnectionError;
            throw new EndpointException(EndpointErrorKind.Unreachable, context.Name,
                refused
                    ? $"endpoint '{context.Name}': nothing is answering at {request.RequestUri?.GetLeftPart(UriPartial.Path) ?? context.Url} (connection refused). Is the server running, and is base_url right?"
                    : $"endpoint '{context.Name}': cannot reach {request.RequestUri?.GetLeftPart(UriPartial.Path) ?? context.Url}: {e.Message}", e);
        }

        if (response.IsSuccessStatusCode)
        {
            response.Content = new SnippetContent(response.Content, WireCapture.Current).Init();
            return response;
        }

        var body = await ReadSnippetAsync(response, cancellationToken);
        var status = (int)response.StatusCode;
        var url = request.RequestUri?.GetLeftPart(UriPartial.Path) ?? context.Url;
        var detail = ProviderMessage(body);
        response.Dispose();
        throw status switch
        {
            401 or 403 => new EndpointException(EndpointErrorKind.Unauthorized, context.Name,
                $"endpoint '{context.Name}' rejected {context.KeyPhrase} (HTTP {status} from {url}): {detail}", statusCode: status),
            404 => new EndpointException(EndpointErrorKind.ModelNotFound, context.Name,
                $"endpoint '{context.Name}' has no model '{context.Model}' (HTTP 404 from {url}): {detail}", statusCode: status),
            429 => new EndpointException(EndpointErrorKind.RateLimited, context.Name,
                $"endpoint '{context.Name}' is rate-limiting us (HTTP 429 from {url}): {detail}", statusCode: status, retryAfter: RetryAfter(response.Headers.RetryAfter)),
            408 => new EndpointException(EndpointErrorKind.Timeout, context.Name,
                $"endpoint '{context.Name}' timed out the request (HTTP 408 from {url}): {detail}", statusCode: status),
            >= 500 => new EndpointException(EndpointErrorKind.ServerError, context.Name,
                $"endpoint '{context.Name}' had a server error (HTTP {status} from {url}): {detail}", statusCode: status, retryAfter: RetryAfter(response.Headers.RetryAfter)),
            _ when IsKeyRejection(status, detail) => new EndpointException(EndpointErrorKind.Unauthorized, context.Name,
                $"endpoint '{context.Name}' rejected {context.KeyPhrase} (HTTP {status} from {url}): {detail}", statusCode: status),
            _ => new EndpointException(EndpointErrorKind.BadRequest, context.Name,
                $"endpoint '{context.Name}' refused the request for model '{context.Model}' (HTTP {status} from {url}): {detail}", statusCode: status),
        };
    }

    /// <summary>Gemini answers a bad key with 400 API_KEY_INVALID rather than 401.</summary>
    private static bool IsKeyRejection(int status, string detail) =>
        status == 400 && (detail.Contains("API_KEY_INVALID", StringComparison.Ordinal) || detail.Contains("API key not valid", StringComparison.OrdinalIgnoreCase));

    private static TimeSpan? RetryAfter(RetryConditionHeaderValue? header) => header switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - DateTimeOffset.UtcNow is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
        _ => null,
    };

    private static async Task<string> ReadSnippetAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            return text.Length > 2000 ? text[..2000] : text;
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            return "(the error body could not be read)";
        }
    }

    /// <summary>The provider's own error message when the body is the usual {"error": {"message": ...}}, else a quoted snippet.</summary>
    public static string ProviderMessage(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var error))
            {
                if (error.ValueKind == JsonValueKind.String) return error.GetString()!;
                if (error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String)
                {
                    var status = error.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? $" [{s.GetString()}]" : "";
                    var reason = error.TryGetProperty("details", out var details) && details.ValueKind == JsonValueKind.Array
                        ? string.Concat(details.EnumerateArray().Where(d => d.ValueKind == JsonValueKind.Object && d.TryGetProperty("reason", out _)).Select(d => $" ({d.GetProperty("reason")})"))
                        : "";
                    return message.GetString() + status + reason;
                }
            }
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("message", out var plain) && plain.ValueKind == JsonValueKind.String)
                return plain.GetString()!;
        }
        catch (JsonException)
        {
        }
        return body.Length == 0 ? "(empty body)" : Quote(body);
    }

    public static string Quote(string text)
    {
        var flat = text.Replace("\r", "", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
        return flat.Length > SnippetLength ? $"\"{flat[..SnippetLength]}…\"" : $"\"{flat}\"";
    }

    /// <summary>Passes the body through untouched while keeping its last bytes in the caller's WireCapture.</summary>
    private sealed class SnippetContent(HttpContent inner, WireCapture? capture) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => inner.CopyToAsync(stream, context);

        protected override async Task<Stream> CreateContentReadStreamAsync() =>
            capture is null ? await inner.ReadAsStreamAsync() : new RecordingStream(await inner.ReadAsStreamAsync(), capture);

        protected override bool TryComputeLength(out long length)
        {
            length = inner.Headers.ContentLength ?? -1;
            return length >= 0;
        }

        public override string ToString() => inner.ToString() ?? "";

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }

        // Headers are copied so that SDKs see Content-Type and friends.
        public SnippetContent Init()
        {
            foreach (var header in inner.Headers) Headers.TryAddWithoutValidation(header.Key, header.Value);
            return this;
        }
    }

    private sealed class RecordingStream(Stream inner, WireCapture capture) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = inner.Read(buffer, offset, count);
            capture.Record(buffer.AsSpan(offset, n));
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer, cancellationToken);
            capture.Record(buffer.Span[..n]);
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}

/// <summary>The last bytes of the reply body seen during one call; the guard quotes it when a body turns out malformed.</summary>
public sealed class WireCapture
{
    private static readonly AsyncLocal<WireCapture?> CurrentCapture = new();
    private readonly StringBuilder _tail = new();
    private readonly Lock _lock = new();

    public static WireCapture? Current
    {
        get => CurrentCapture.Value;
        set => CurrentCapture.Value = value;
    }

    public void Record(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return;
        var text = Encoding.UTF8.GetString(bytes);
        lock (_lock)
        {
            _tail.Append(text);
            if (_tail.Length > 1200) _tail.Remove(0, _tail.Length - 600);
        }
    }

    public string Tail
    {
        get
        {
            lock (_lock) return _tail.ToString().Trim();
        }
    }

    public override string ToString() => Tail;
}
