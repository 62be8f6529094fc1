using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ModelRace.Gateway.Bench;

/// <summary>An OpenAI-compatible server that answers at once with a fixed reply: the upstream for gateway benchmarks.</summary>
public sealed class InstantUpstream : IAsyncDisposable
{
    private static readonly byte[] Completion = """{"id":"chatcmpl-bench","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}"""u8.ToArray();
    private static readonly byte[] Stream = System.Text.Encoding.UTF8.GetBytes(
        "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":null}]}\n\n" +
        "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n" +
        "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1,\"total_tokens\":6}}\n\n" +
        "data: [DONE]\n\n");

    private readonly WebApplication _app;

    private InstantUpstream(WebApplication app) => _app = app;

    public Uri BaseUrl => new(_app.Urls.First() + "/v1");

    public static async Task<InstantUpstream> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapPost("/v1/chat/completions", async (HttpContext http) =>
        {
            // Only the stream flag matters; a substring test keeps the fake's own cost out of the measurement.
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync(http.RequestAborted);
            var stream = body.Contains("\"stream\":true", StringComparison.Ordinal);
            http.Response.ContentType = stream ? "text/event-stream" : "application/json";
            await http.Response.Body.WriteAsync(stream ? Stream : Completion, http.RequestAborted);
        });
        await app.StartAsync();
        return new InstantUpstream(app);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
