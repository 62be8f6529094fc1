namespace ModelRace.Local.Chat.Jinja;

/// <summary>A template that cannot be parsed or rendered; the message names the template line where known.</summary>
public class JinjaException : Exception
{
    public int? Line { get; }

    public JinjaException(string message, int? line = null)
        : base(line is { } l ? $"{message} (template line {l})" : message) => Line = line;

    public JinjaException() : this("template error") { }
    public JinjaException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// The template itself called <c>raise_exception(...)</c>, which chat templates do to reject a conversation
/// they cannot format (e.g. a system message for a model without a system role). The message is the template's own.
/// </summary>
public sealed class JinjaRaisedException : JinjaException
{
    public string TemplateMessage { get; }

    public JinjaRaisedException(string templateMessage) : base($"the chat template refused the conversation: {templateMessage}") =>
        TemplateMessage = templateMessage;

    public JinjaRaisedException() : this("raised") { }
    public JinjaRaisedException(string message, Exception inner) : base(message, inner) => TemplateMessage = message;
}
