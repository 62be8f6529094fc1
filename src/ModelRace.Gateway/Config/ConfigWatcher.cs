using Microsoft.Extensions.Logging;
using ModelRace.Catalog;
using ModelRace.Gateway.Routing;
using ModelRace.Providers;
using ModelRace.Providers.Middleware;

namespace ModelRace.Gateway.Config;

/// <summary>The config in force and the upstream clients built from it, swapped as one so requests never see a mix.</summary>
public sealed record GatewaySnapshot(GatewayConfig Config, IUpstreamRegistry Registry, int Generation);

/// <summary>
/// Watches modelrace.yaml and swaps in the new routes without a restart. Editors save in bursts (truncate, write,
/// rename), so changes are debounced; the new file is fully validated first, and an invalid one leaves the old
/// config in force with the reason logged.
/// </summary>
public sealed class ConfigWatcher : IDisposable
{
    private readonly string _path;
    private readonly ModelCatalog _catalog;
    private readonly Func<GatewayConfig, IUpstreamRegistry> _buildRegistry;
    private readonly ILogger _logger;
    private readonly FileSystemWatcher _watcher;
    private readonly Timer _debounce;
    private readonly TimeSpan _delay;
    private readonly Lock _reloadLock = new();
    private volatile GatewaySnapshot _current;

    public ConfigWatcher(string path, GatewayConfig initial, ModelCatalog catalog, Func<GatewayConfig, IUpstreamRegistry> buildRegistry, ILogger logger, TimeSpan? debounce = null)
    {
        _path = Path.GetFullPath(path);
        _catalog = catalog;
        _buildRegistry = buildRegistry;
        _logger = logger;
        _delay = debounce ?? TimeSpan.FromMilliseconds(300);
        _current = new GatewaySnapshot(initial, buildRegistry(initial), 1);
        _debounce = new Timer(_ => Reload(), null, Timeout.Infinite, Timeout.Infinite);
        _watcher = new FileSystemWatcher(Path.GetDirectoryName(_path)!, Path.GetFileName(_path))
        {
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        _watcher.Changed += (_, _) => Schedule();
        _watcher.Created += (_, _) => Schedule();
        _watcher.Renamed += (_, _) => Schedule();
        _watcher.EnableRaisingEvents = true;
    }

    public GatewaySnapshot Current => _current;

    /// <summary>Why the last reload was refused, or null if it succeeded.</summary>
    public string? LastError { get; private set; }

    /// <summary>Raised after every reload attempt, with the error when it was refused.</summary>
    public event Action<GatewaySnapshot, string?>? Reloaded;

    private void Schedule() => _debounce.Change(_delay, Timeout.InfiniteTimeSpan);

    /// <summary>Reads and validates the file now; keeps the old config when it is invalid.</summary>
    public bool Reload()
    {
        lock (_reloadLock)
        {
            GatewayConfig config;
            try
            {
                config = GatewayConfigLoader.LoadFile(_path, _catalog);
            }
            catch (ConfigException e)
            {
                LastError = e.Message;
                _logger.LogError("config reload refused, the previous config stays in force: {Reason}", e.Message);
                Reloaded?.Invoke(_current, e.Message);
                return false;
            }
            var next = new GatewaySnapshot(config, _buildRegistry(config), _current.Generation + 1);
            _current = next;
            LastError = null;
            int routes = config.Routes.Count, endpoints = config.Endpoints.Endpoints.Count, generation = next.Generation;
            if (_logger.IsEnabled(LogLevel.Information))
                _logger.LogInformation("config reloaded from {Path}: {Routes} routes, {Endpoints} endpoints (generation {Generation})", _path, routes, endpoints, generation);
            Reloaded?.Invoke(next, null);
            return true;
        }
    }

    public void Dispose()
    {
        _watcher.Dispose();
        _debounce.Dispose();
    }
}
