namespace ModelRace.Local.Chat;

/// <summary>
/// One turn as chat templates see it: message['role'] and message['content'], plus any further fields
/// (tool_calls, name, ...) that tool-aware templates read.
/// </summary>
public sealed record ChatTemplateMessage(string Role, string Content)
{
    public IReadOnlyDictionary<string, object?>? Extra { get; init; }

    public static ChatTemplateMessage System(string content) => new("system", content);
    public static ChatTemplateMessage User(string content) => new("user", content);
    public static ChatTemplateMessage Assistant(string content) => new("assistant", content);

    internal Dictionary<string, object?> ToTemplateValue()
    {
        var value = new Dictionary<string, object?>(StringComparer.Ordinal) { ["role"] = Role, ["content"] = Content };
        if (Extra is not null) foreach (var (k, v) in Extra) value[k] = v;
        return value;
    }
}
