using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ModelRace.Race.Tests;

/// <summary>What the fake endpoint does for one call: reply text, or an HTTP error status; optional delay.</summary>
public sealed record FakeReply(string Text, int Status = 200, TimeSpan Delay = default, int PromptTokens = 10, int CompletionTokens = 5);

/// <summary>An OpenAI-compatible /v1/chat/completions server on 127.0.0.1:0 that counts every call it answers.</summary>
public sealed class FakeOpenAiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);
    public string BaseUrl { get; }

    private FakeOpenAiServer(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    /// <param name="behaviour">Given the 1-based call number and the last user message, what to answer.</param>
    public static async Task<FakeOpenAiServer> StartAsync(Func<int, string, FakeReply> behaviour)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        FakeOpenAiServer? self = null;
        app.MapPost("/v1/chat/completions", async (HttpContext http) =>
        {
            using var doc = await JsonDocument.ParseAsync(http.Request.Body);
            var root = doc.RootElement;
            var lastUser = root.GetProperty("messages").EnumerateArray().Last(m => m.GetProperty("role").GetString() == "user");
            var content = lastUser.GetProperty("content");
            var prompt = content.ValueKind == JsonValueKind.String ? content.GetString()! : string.Concat(content.EnumerateArray().Select(p => p.GetProperty("text").GetString()));
            var call = Interlocked.Increment(ref self!._calls);
            var reply = behaviour(call, prompt);
            if (reply.Delay > TimeSpan.Zero) await Task.Delay(reply.Delay);
            if (reply.Status != 200)
            {
                http.Response.StatusCode = reply.Status;
                await http.Response.WriteAsJsonAsync(new { error = new { message = reply.Text, type = "server_error" } });
                return;
            }
            var model = root.GetProperty("model").GetString();
            var usage = new { prompt_tokens = reply.PromptTokens, completion_tokens = reply.CompletionTokens, total_tokens = reply.PromptTokens + reply.CompletionTokens };
            if (root.TryGetProperty("stream", out var stream) && stream.GetBoolean())
            {
                http.Response.ContentType = "text/event-stream";
                async Task Send(object chunk) => await http.Response.WriteAsync($"data: {JsonSerializer.Serialize(chunk)}\n\n");
                var half = reply.Text.Length / 2;
                foreach (var piece in new[] { reply.Text[..half], reply.Text[half..] })
                    await Send(new { id = "c1", @object = "chat.completion.chunk", created = 1, model, choices = new[] { new { index = 0, delta = new { role = "assistant", content = piece }, finish_reason = (string?)null } } });
                await Send(new { id = "c1", @object = "chat.completion.chunk", created = 1, model, choices = new[] { new { index = 0, delta = new { }, finish_reason = "stop" } } });
                await Send(new { id = "c1", @object = "chat.completion.chunk", created = 1, model, choices = Array.Empty<object>(), usage });
                await http.Response.WriteAsync("data: [DONE]\n\n");
                return;
            }
            await http.Response.WriteAsJsonAsync(new
            {
                id = "c1", @object = "chat.completion", created = 1, model,
                choices = new[] { new { index = 0, message = new { role = "assistant", content = reply.Text }, finish_reason = "stop" } },
                usage,
            });
        });
        await app.StartAsync();
        var address = app.Urls.First();
        self = new FakeOpenAiServer(app, address.TrimEnd('/') + "/v1");
        return self;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
