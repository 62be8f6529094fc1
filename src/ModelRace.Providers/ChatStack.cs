using Microsoft.Extensions.AI;

namespace ModelRace.Providers;

/// <summary>A ModelRace middleware layer that can say what it wraps, so the stack's order can be inspected.</summary>
public interface IChatLayer
{
    IChatClient Inner { get; }
}

public static class ChatStack
{
    /// <summary>The layers from outermost to innermost, ending with the connector.</summary>
    public static IReadOnlyList<IChatClient> Layers(IChatClient client)
    {
        var layers = new List<IChatClient> { client };
        while (layers[^1] is IChatLayer layer) layers.Add(layer.Inner);
        return layers;
    }
}
