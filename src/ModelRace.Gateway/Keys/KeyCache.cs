using ModelRace.Storage;

namespace ModelRace.Gateway.Keys;

/// <summary>
/// The active keys by hash, in memory so that auth costs no database read. Refreshed every few seconds so that keys
/// created or revoked with `modelrace keys` while the gateway runs take effect without a restart.
/// </summary>
public sealed class KeyCache(KeyStore store, TimeSpan? refreshEvery = null)
{
    private readonly TimeSpan _refreshEvery = refreshEvery ?? TimeSpan.FromSeconds(5);
    private readonly Lock _lock = new();
    private Dictionary<string, GatewayKey> _keys = store.ActiveByHash();
    private DateTimeOffset _loadedAt = DateTimeOffset.UtcNow;

    public int Count => _keys.Count;

    public GatewayKey? Find(string secret)
    {
        if (!secret.StartsWith(KeyStore.SecretPrefix, StringComparison.Ordinal)) return null;
        Refresh();
        return _keys.GetValueOrDefault(KeyStore.Hash(secret));
    }

    private void Refresh()
    {
        if (DateTimeOffset.UtcNow - _loadedAt < _refreshEvery) return;
        lock (_lock)
        {
            if (DateTimeOffset.UtcNow - _loadedAt < _refreshEvery) return;
            _keys = store.ActiveByHash();
            _loadedAt = DateTimeOffset.UtcNow;
        }
    }

    public static KeyCache Open(SqliteStore store) => new(new KeyStore(store));
}
