//! Persistence: the storage traits and their backends (filled in by the `store` work).
