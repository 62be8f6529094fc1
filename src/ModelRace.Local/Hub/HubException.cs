namespace ModelRace.Local.Hub;

public enum HubErrorKind { Unauthorized, NotFound, Offline, ChecksumMismatch, NoMatchingFile, AmbiguousFile, BadSpec, Http }

/// <summary>A failure talking to the Hugging Face hub, with a message that says what to do about it.</summary>
public sealed class HubException : Exception
{
    public HubErrorKind Kind { get; }

    public HubException(HubErrorKind kind, string message, Exception? inner = null) : base(message, inner) => Kind = kind;

    public HubException() : this(HubErrorKind.Http, "hub error") { }
    public HubException(string message) : this(HubErrorKind.Http, message) { }
    public HubException(string message, Exception inner) : this(HubErrorKind.Http, message, inner) { }
}
