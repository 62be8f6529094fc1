using ModelRace.Local.Hub;

namespace ModelRace.Local.Tests;

/// <summary>Pulling from a fake hub on loopback: listing, redirects, resume, checksums, tokens and clear errors.</summary>
public sealed class HubDownloadTests : IAsyncLifetime
{
    private const string Repo = "acme/tiny-GGUF";
    private readonly string _cache = Directory.CreateTempSubdirectory("modelrace-hub-").FullName;
    private readonly byte[] _q4 = Content(300_000, seed: 1);
    private readonly byte[] _q8 = Content(500_000, seed: 2);
    private HubFakeServer _hub = null!;

    private static byte[] Content(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public async ValueTask InitializeAsync()
    {
        _hub = await HubFakeServer.StartAsync();
        _hub.Repos[Repo] = new HubFakeServer.FakeRepo(new Dictionary<string, byte[]>
        {
            ["README.md"] = "# tiny"u8.ToArray(),
            ["tiny-Q4_K_M.gguf"] = _q4,
            ["tiny-Q8_0.gguf"] = _q8,
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _hub.DisposeAsync();
        Directory.Delete(_cache, recursive: true);
    }

    private HubOptions Options(string? token = null) => new() { Endpoint = _hub.Endpoint, Token = token, CacheDirectory = _cache };

    private static HubClient Client(HubOptions options) => new(options, HubClient.CreateHttpClient());

    private sealed class Recorder : IProgress<DownloadProgress>
    {
        public List<DownloadProgress> Reports { get; } = [];
        public void Report(DownloadProgress value) => Reports.Add(value);
    }

    [Fact]
    public async Task A_fresh_pull_lists_pages_follows_the_redirect_and_verifies_the_sha256()
    {
        var progress = new Recorder();
        var pulled = await Client(Options()).PullAsync(HubModelSpec.Parse($"{Repo}:q8_0"), progress, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(Options().CachePath(Repo, "tiny-Q8_0.gguf"), pulled.LocalPath);
        Assert.Equal(_q8, await File.ReadAllBytesAsync(pulled.LocalPath, TestContext.Current.CancellationToken));
        Assert.False(File.Exists(pulled.LocalPath + ".part"));
        Assert.True(pulled.Verified);
        Assert.False(pulled.AlreadyCached);
        Assert.Equal(HubFakeServer.Sha256(_q8), pulled.File.Sha256);
        Assert.Equal(_q8.Length, progress.Reports[^1].BytesDone);
        Assert.All(progress.Reports, r => Assert.Equal(_q8.Length, r.TotalBytes));
        Assert.Contains(_hub.Requests, r => r.Path.Contains("/tree/main", StringComparison.Ordinal) && r.Path.StartsWith("/api/models/acme/tiny-GGUF", StringComparison.Ordinal));
        Assert.Contains(_hub.Requests, r => r.Path.StartsWith("/cdn/", StringComparison.Ordinal));

        var again = await Client(Options()).PullAsync(HubModelSpec.Parse($"{Repo}:q8_0"), cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(again.AlreadyCached);
    }

    [Fact]
    public async Task A_partial_download_resumes_with_a_range_request()
    {
        var destination = Options().CachePath(Repo, "tiny-Q4_K_M.gguf");
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        await File.WriteAllBytesAsync(destination + ".part", _q4[..123_456], TestContext.Current.CancellationToken);

        var pulled = await Client(Options()).PullAsync(HubModelSpec.Parse($"{Repo}:Q4_K_M"), cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(_q4, await File.ReadAllBytesAsync(pulled.LocalPath, TestContext.Current.CancellationToken));
        Assert.Contains(_hub.Requests, r => r.Path.StartsWith("/cdn/", StringComparison.Ordinal) && r.Range == "bytes=123456-");
        Assert.False(File.Exists(destination + ".part"));
    }

    [Fact]
    public async Task A_server_that_ignores_the_range_gets_the_download_restarted_not_appended()
    {
        _hub.IgnoreRange = true;
        var destination = Options().CachePath(Repo, "tiny-Q4_K_M.gguf");
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        await File.WriteAllBytesAsync(destination + ".part", _q4[..5000], TestContext.Current.CancellationToken);

        var pulled = await Client(Options()).PullAsync(HubModelSpec.Parse($"{Repo}:Q4_K_M"), cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(_q4, await File.ReadAllBytesAsync(pulled.LocalPath, TestContext.Current.CancellationToken));
        Assert.Contains(_hub.Requests, r => r.Range == "bytes=5000-");
    }

    [Fact]
    public async Task A_part_file_held_by_another_download_is_left_alone_with_a_clear_error()
    {
        var destination = Options().CachePath(Repo, "tiny-Q4_K_M.gguf");
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        await using (var other = new FileStream(destination + ".part", FileMode.Create, FileAccess.Write, FileShare.None))
        {
            await other.WriteAsync(_q4.AsMemory(0, 100), TestContext.Current.CancellationToken);
            await other.FlushAsync(TestContext.Current.CancellationToken);
            var error = await Assert.ThrowsAsync<HubException>(() =>
                Client(Options()).PullAsync(HubModelSpec.Parse($"{Repo}:Q4_K_M"), cancellationToken: TestContext.Current.CancellationToken));
            Assert.Contains("another download", error.Message);
        }
        Assert.Equal(100, new FileInfo(destination + ".part").Length);
    }

    [Fact]
    public async Task A_corrupt_partial_file_fails_the_checksum_and_is_deleted()
    {
        var destination = Options().CachePath(Repo, "tiny-Q4_K_M.gguf");
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        var corrupt = _q4[..1000];
        corrupt[10] ^= 0xFF;
        await File.WriteAllBytesAsync(destination + ".part", corrupt, TestContext.Current.CancellationToken);

        var error = await Assert.ThrowsAsync<HubException>(() =>
            Client(Options()).PullAsync(HubModelSpec.Parse($"{Repo}:Q4_K_M"), cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(HubErrorKind.ChecksumMismatch, error.Kind);
        Assert.Contains(HubFakeServer.Sha256(_q4), error.Message);
        Assert.Contains("run the command again", error.Message);
        Assert.False(File.Exists(destination + ".part"));
        Assert.False(File.Exists(destination));
    }

    [Fact]
    public async Task A_published_checksum_that_does_not_match_leaves_no_file_behind()
    {
        _hub.Repos["acme/bad"] = new HubFakeServer.FakeRepo(new() { ["bad-Q4_0.gguf"] = _q4 }) { PublishedSha = new() { ["bad-Q4_0.gguf"] = new string('0', 64) } };
        var error = await Assert.ThrowsAsync<HubException>(() =>
            Client(Options()).PullAsync(HubModelSpec.Parse("acme/bad:Q4_0"), cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(HubErrorKind.ChecksumMismatch, error.Kind);
        Assert.Empty(Directory.GetFiles(_cache, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Without_lfs_in_the_listing_the_x_linked_etag_is_checked()
    {
        _hub.Repos["acme/nolfs"] = new HubFakeServer.FakeRepo(new() { ["m-Q4_0.gguf"] = _q4 }) { OmitLfsInTree = true, PublishedSha = new() { ["m-Q4_0.gguf"] = new string('1', 64) } };
        var error = await Assert.ThrowsAsync<HubException>(() =>
            Client(Options()).PullAsync(HubModelSpec.Parse("acme/nolfs:Q4_0"), cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(HubErrorKind.ChecksumMismatch, error.Kind);
        Assert.Contains(new string('1', 64), error.Message);
    }

    [Fact]
    public async Task A_gated_repo_needs_hf_token_which_is_sent_to_the_hub_but_not_the_cdn()
    {
        _hub.Repos["acme/gated"] = new HubFakeServer.FakeRepo(new() { ["g-Q4_0.gguf"] = _q4 }) { RequiredToken = "hf_secret" };

        var error = await Assert.ThrowsAsync<HubException>(() =>
            Client(Options()).PullAsync(HubModelSpec.Parse("acme/gated:Q4_0"), cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(HubErrorKind.Unauthorized, error.Kind);
        Assert.Contains("HF_TOKEN", error.Message);
        Assert.Contains("gated", error.Message);

        var env = new Dictionary<string, string> { ["HF_TOKEN"] = "hf_secret", ["HF_ENDPOINT"] = _hub.Endpoint, ["MODELRACE_HOME"] = _cache };
        var pulled = await Client(HubOptions.FromEnvironment(env.GetValueOrDefault)).PullAsync(HubModelSpec.Parse("acme/gated:Q4_0"), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(_q4, await File.ReadAllBytesAsync(pulled.LocalPath, TestContext.Current.CancellationToken));
        Assert.StartsWith(Path.Combine(_cache, "cache"), pulled.LocalPath);
        Assert.Contains(_hub.Requests, r => r.Path.StartsWith("/acme/gated/resolve/main/", StringComparison.Ordinal) && r.Authorization == "Bearer hf_secret");
        Assert.All(_hub.Requests.Where(r => r.Path.StartsWith("/cdn/", StringComparison.Ordinal)), r => Assert.Null(r.Authorization));
    }

    [Fact]
    public async Task Missing_repos_and_files_say_what_was_not_found()
    {
        var repo = await Assert.ThrowsAsync<HubException>(() =>
            Client(Options()).PullAsync(HubModelSpec.Parse("acme/nothing:Q4_0"), cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(HubErrorKind.NotFound, repo.Kind);
        Assert.Contains("acme/nothing was not found", repo.Message);

        var file = await Assert.ThrowsAsync<HubException>(() =>
            Client(Options()).DownloadAsync(Repo, "main", new HubFile("gone.gguf", 10, null), Path.Combine(_cache, "gone.gguf"), cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(HubErrorKind.NotFound, file.Kind);
        Assert.Contains("gone.gguf", file.Message);

        var quant = await Assert.ThrowsAsync<HubException>(() =>
            Client(Options()).PullAsync(HubModelSpec.Parse($"{Repo}:Q2_K"), cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(HubErrorKind.NoMatchingFile, quant.Kind);
        Assert.Contains("tiny-Q4_K_M.gguf, tiny-Q8_0.gguf", quant.Message);
    }

    [Fact]
    public async Task An_unreachable_hub_suggests_a_local_model_file()
    {
        var options = new HubOptions { Endpoint = "http://127.0.0.1:1", CacheDirectory = _cache };
        var error = await Assert.ThrowsAsync<HubException>(() =>
            Client(options).PullAsync(HubModelSpec.Parse($"{Repo}:Q4_K_M"), cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(HubErrorKind.Offline, error.Kind);
        Assert.Contains("127.0.0.1:1", error.Message);
        Assert.Contains("--model path/to/model.gguf", error.Message);
    }
}
