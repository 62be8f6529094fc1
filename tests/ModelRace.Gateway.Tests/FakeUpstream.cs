using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace ModelRace.Gateway.Tests;

/// <summary>How a fake upstream answers.</summary>
public enum FakeBehaviour { Ok, Status500, Status429, Slow, DropBeforeFirstByte, DropMidStream, StallAfterFirstChunk }

/// <summary>
/// A real Kestrel server on 127.0.0.1 speaking OpenAI's chat-completions wire format, with a switchable failure
/// mode and a count of the requests it received.
/// </summary>
public sealed class FakeUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    private FakeUpstream(WebApplication app, string reply)
    {
        _app = app;
        Reply = reply;
    }

    public string Reply { get; }
    public FakeBehaviour Behaviour { get; set; } = FakeBehaviour.Ok;
    public TimeSpan SlowDelay { get; set; } = TimeSpan.FromSeconds(10);
    public int Requests => Volatile.Read(ref _requests);
    public int PromptTokens { get; set; } = 10;
    public int CompletionTokens { get; set; } = 5;
    public Uri BaseUrl => new(_app.Urls.First() + "/v1");
    public TaskCompletionSource StreamCancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static async Task<FakeUpstream> StartAsync(string reply)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var fake = new FakeUpstream(app, reply);
        app.MapPost("/v1/chat/completions", fake.HandleAsync);
        await app.StartAsync();
        return fake;
    }

    private async Task HandleAsync(HttpContext http)
    {
        Interlocked.Increment(ref _requests);
        using var body = await JsonDocument.ParseAsync(http.Request.Body);
        var model = body.RootElement.GetProperty("model").GetString();
        var stream = body.RootElement.TryGetProperty("stream", out var s) && s.GetBoolean();
        switch (Behaviour)
        {
            case FakeBehaviour.Status500:
                http.Response.StatusCode = 500;
                await http.Response.WriteAsJsonAsync(new { error = new { message = "fake upstream failure", type = "server_error" } });
                return;
            case FakeBehaviour.Status429:
                http.Response.StatusCode = 429;
                await http.Response.WriteAsJsonAsync(new { error = new { message = "slow down", type = "rate_limit_error" } });
                return;
            case FakeBehaviour.Slow:
                await Task.Delay(SlowDelay, http.RequestAborted);
                break;
            case FakeBehaviour.DropBeforeFirstByte:
                // Headers go out, then the connection dies before any chunk.
                http.Response.ContentType = stream ? "text/event-stream" : "application/json";
                await http.Response.Body.FlushAsync();
                http.Abort();
                return;
        }
        var usage = new { prompt_tokens = PromptTokens, completion_tokens = CompletionTokens, total_tokens = PromptTokens + CompletionTokens };
        if (!stream)
        {
            await http.Response.WriteAsJsonAsync(new
            {
                id = "chatcmpl-fake", @object = "chat.completion", created = 1, model,
                choices = new[] { new { index = 0, message = new { role = "assistant", content = Reply }, finish_reason = "stop" } },
                usage,
            });
            return;
        }
        http.Response.ContentType = "text/event-stream";
        var words = Reply.Split(' ');
        try
        {
            for (var i = 0; i < words.Length; i++)
            {
                var piece = i == 0 ? words[i] : " " + words[i];
                await Sse(http, new { id = "chatcmpl-fake", @object = "chat.completion.chunk", created = 1, model, choices = new[] { new { index = 0, delta = new { content = piece }, finish_reason = (string?)null } } });
                if (Behaviour == FakeBehaviour.DropMidStream)
                {
                    await Task.Delay(50);
                    http.Abort();
                    return;
                }
                if (Behaviour is FakeBehaviour.Slow or FakeBehaviour.StallAfterFirstChunk) await Task.Delay(SlowDelay, http.RequestAborted);
            }
            await Sse(http, new { id = "chatcmpl-fake", @object = "chat.completion.chunk", created = 1, model, choices = new[] { new { index = 0, delta = new { }, finish_reason = "stop" } } });
            await Sse(http, new { id = "chatcmpl-fake", @object = "chat.completion.chunk", created = 1, model, choices = Array.Empty<object>(), usage });
            await http.Response.WriteAsync("data: [DONE]\n\n");
        }
        catch (OperationCanceledException)
        {
            StreamCancelled.TrySetResult();
        }
    }

    private static async Task Sse(HttpContext http, object chunk)
    {
        await http.Response.WriteAsync("data: " + JsonSerializer.Serialize(chunk) + "\n\n", http.RequestAborted);
        await http.Response.Body.FlushAsync(http.RequestAborted);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
