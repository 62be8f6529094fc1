namespace ModelRace.Storage;

/// <summary>A database that cannot be used as it is; the message says why and what to do. Nothing was changed.</summary>
public sealed class StoreException(string message, Exception? inner = null) : Exception(message, inner);
