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

    private static async Task<List<string>> OneAtATime(LocalChatClient client, IEnumerable<string> prompts)
    {
        var texts = new List<string>();
        foreach (var prompt in prompts)
            texts.Add((await client.GetResponseAsync([new ChatMessage(ChatRole.User, prompt)], Greedy, TestContext.Current.CancellationToken)).Text);
        return texts;
    }

    [Fact]
    public async Task Concurrent_requests_batch_and_each_gets_its_own_correct_answer()
    {
        using var client = Open();
        string[] prompts = ["Once upon a time", "The little dog", "Lily went to the park and", "Once upon a time"];
        var alone = await OneAtATime(client, prompts);
        var together = await Task.WhenAll(prompts.Select(p => client.GetResponseAsync([new ChatMessage(ChatRole.User, p)], Greedy, TestContext.Current.CancellationToken)));
        Assert.Equal(alone, together.Select(r => r.Text));
        Assert.Equal(alone[0], alone[3]);
        Assert.NotEqual(alone[0], alone[1]);
    }

    [Fact]
    public async Task Concurrent_streaming_and_whole_responses_decode_together_and_match_their_answers_alone()
    {
        using var client = Open();
        string[] prompts = ["Once upon a time", "The little dog", "Lily went to the park and", "Tom had a big red ball. He"];
        var alone = await OneAtATime(client, prompts);

        async Task<(string Text, ChatResponseUpdate Last)> Stream(string prompt)
        {
            var updates = new List<ChatResponseUpdate>();
            await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, prompt)], Greedy, TestContext.Current.CancellationToken))
                updates.Add(update);
            return (string.Concat(updates.Select(u => u.Text)), updates[^1]);
        }
        var streams = prompts.Select((p, i) => i % 2 == 0 ? Stream(p) : null).ToArray();
        var wholes = prompts.Select((p, i) => i % 2 == 1 ? client.GetResponseAsync([new ChatMessage(ChatRole.User, p)], Greedy, TestContext.Current.CancellationToken) : null).ToArray();
        for (var i = 0; i < prompts.Length; i++)
        {
            if (streams[i] is { } stream)
            {
                var (text, last) = await stream;
                Assert.Equal(alone[i], text);
                Assert.Equal(ChatFinishReason.Length, last.FinishReason);
                Assert.Equal(12, last.Contents.OfType<UsageContent>().Single().Details.OutputTokenCount);
                Assert.True(last.AdditionalProperties!.ContainsKey("time_to_first_token_ms"));
            }
            else
            {
                var whole = await wholes[i]!;
                Assert.Equal(alone[i], whole.Text);
                Assert.Equal(12, whole.Usage!.OutputTokenCount);
                Assert.True((double)whole.AdditionalProperties!["tokens_per_second"]! > 0);
            }
        }
    }

    [Fact]
    public async Task Cancelling_one_stream_midway_leaves_a_concurrent_response_intact()
    {
        using var client = Open();
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 60 };
        var alone = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "The little dog")], options, TestContext.Current.CancellationToken);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var other = client.GetResponseAsync([new ChatMessage(ChatRole.User, "The little dog")], options, TestContext.Current.CancellationToken);
        var received = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "Once upon a time")], options, cancel.Token))
                if (++received == 3) await cancel.CancelAsync();
        });
        Assert.Equal(3, received);
        Assert.Equal(alone.Text, (await other).Text);
    }
}
