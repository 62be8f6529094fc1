using Microsoft.Extensions.AI;
using ModelRace.Local.Runtime;

namespace ModelRace.Local.Tests;

/// <summary>The `local` endpoint: LocalChatClient over stories260K.</summary>
public sealed class GenerateChatClientTests
{
    private static LocalChatClient Open() => LocalChatClient.Open(SharedData.RequireFile("gguf/models/stories260K.gguf"), useChatTemplate: false, contextLength: 128);

    private static readonly ChatOptions Greedy = new() { Temperature = 0, MaxOutputTokens = 12 };

    [Fact]
    public async Task A_response_carries_text_usage_finish_reason_and_latency()
    {
        using var client = Open();
        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Once upon a time")], Greedy, TestContext.Current.CancellationToken);
        Assert.StartsWith(", there was a little girl named Lily", response.Text);
        Assert.Equal(5, response.Usage!.InputTokenCount);
        Assert.Equal(12, response.Usage.OutputTokenCount);
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.True((double)response.AdditionalProperties!["latency_ms"]! > 0);
        Assert.Equal("stories260K", client.GetService<ChatClientMetadata>()!.DefaultModelId);
    }

    [Fact]
    public async Task With_the_chat_template_the_prompt_is_the_rendered_conversation()
    {
        using var client = LocalChatClient.Open(SharedData.RequireFile("gguf/models/stories260K.gguf"), useChatTemplate: true, contextLength: 128);
        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Once upon a time")], Greedy, TestContext.Current.CancellationToken);
        Assert.True(response.Usage!.InputTokenCount > 5, $"{response.Usage.InputTokenCount} prompt tokens: the template adds its markers");
    }

    [Fact]
    public async Task A_stop_sequence_finishes_with_stop()
    {
        using var client = Open();
        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Once upon a time")],
            new ChatOptions { Temperature = 0, MaxOutputTokens = 40, StopSequences = ["Lily"] }, TestContext.Current.CancellationToken);
        Assert.Equal(", there was a little girl named ", response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
    }

    [Fact]
    public async Task Streaming_gives_the_same_text_then_usage_and_finish_reason()
    {
        using var client = Open();
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "Once upon a time")], Greedy, TestContext.Current.CancellationToken))
            updates.Add(update);
        var whole = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Once upon a time")], Greedy, TestContext.Current.CancellationToken);
        Assert.Equal(whole.Text, string.Concat(updates.Select(u => u.Text)));
        Assert.True(updates.Count > 2);
        var usage = updates.SelectMany(u => u.Contents).OfType<UsageContent>().Single();
        Assert.Equal(12, usage.Details.OutputTokenCount);
        Assert.Equal(ChatFinishReason.Length, updates[^1].FinishReason);
    }

    [Fact]
    public async Task Concurrent_requests_queue_and_each_gets_its_own_correct_answer()
    {
        using var client = Open();
        string[] prompts = ["Once upon a time", "The little dog", "Lily went to the park and", "Once upon a time"];
        var alone = new List<string>();
        foreach (var prompt in prompts)
            alone.Add((await client.GetResponseAsync([new ChatMessage(ChatRole.User, prompt)], Greedy, TestContext.Current.CancellationToken)).Text);
        var together = await Task.WhenAll(prompts.Select(p => client.GetResponseAsync([new ChatMessage(ChatRole.User, p)], Greedy, TestContext.Current.CancellationToken)));
        Assert.Equal(alone, together.Select(r => r.Text));
        Assert.Equal(alone[0], alone[3]);
        Assert.NotEqual(alone[0], alone[1]);
    }
}
