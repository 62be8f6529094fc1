namespace ModelRace.Providers;

/// <summary>What went wrong talking to an endpoint, in terms a user can act on.</summary>
public enum EndpointErrorKind
{
    MissingKey,
    Unauthorized,
    ModelNotFound,
    Unreachable,
    Timeout,
    RateLimited,
    ServerError,
    BadRequest,
    MalformedResponse,
    Truncated,
    NotSupported,
}

/// <summary>A failure talking to an endpoint; Message is written for the user and names the variable, model or URL at fault.</summary>
public sealed class EndpointException : Exception
{
    public EndpointException(EndpointErrorKind kind, string endpoint, string message, Exception? inner = null, int? statusCode = null, TimeSpan? retryAfter = null)
        : base(message, inner)
    {
        Kind = kind;
        Endpoint = endpoint;
        StatusCode = statusCode;
        RetryAfter = retryAfter;
    }

    public EndpointErrorKind Kind { get; }
    public string Endpoint { get; }
    public int? StatusCode { get; }
    /// <summary>How long the server asked us to wait (Retry-After), when it said.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>Worth trying again: rate limits, server errors, timeouts and dropped connections.</summary>
    public bool IsTransient => Kind is EndpointErrorKind.RateLimited or EndpointErrorKind.ServerError
        or EndpointErrorKind.Timeout or EndpointErrorKind.Unreachable;

    /// <summary>The first EndpointException in an exception's chain; SDKs wrap what our HTTP handler throws.</summary>
    public static EndpointException? FindIn(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is EndpointException found) return found;
            if (e is AggregateException { InnerExceptions.Count: > 0 } aggregate)
                return aggregate.InnerExceptions.Select(FindIn).FirstOrDefault(x => x is not null);
        }
        return null;
    }
}

/// <summary>modelrace.yaml is wrong; the message names the file, the endpoint and the field.</summary>
public sealed class ConfigException(string message) : Exception(message)
{
    public static ConfigException At(string file, string? endpoint, string field, string problem) =>
        new($"{file}: {(endpoint is null ? "" : $"endpoint '{endpoint}', ")}{field}: {problem}");
}
