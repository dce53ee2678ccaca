//! A bounded cache of decoded private keys, so a store that keeps keys sealed does not unseal
//! and decode the same key (PKCS#8, RSA precomputation, the fixed-width CRT form) on every
//! signature, decryption or issuance.
//!
//! An entry is found by the key's [`KeyId`] **and** the exact bytes the key was decoded from
//! (for a store: the sealed blob read from the database on this very lookup). The caller still
//! reads those bytes from its storage each time, so:
//!
//! - a key deleted from the storage, through any handle or process, is not found (the caller
//!   reads no row and never asks the cache);
//! - a key stored again (sealed with a fresh nonce) or replaced has different bytes: the old
//!   entry does not match, the key is decoded anew and the new entry replaces the old one;
//! - nothing is cached until `load` succeeded, so a failure (wrong master key, damaged blob)
//!   fails again the same way on the next call.
//!
//! The cache keeps at most `capacity` keys and evicts the least recently used one. A cached
//! key is a [`PrivateKey`], a reference-counted handle: every caller gets the same key object,
//! so the RSA blinding pair cached inside it is reused, and the key material is zeroized when
//! the last handle is dropped (an evicted key as soon as no caller still holds it).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use super::{KeyId, PrivateKey};
use crate::error::Result;

/// How many decoded keys a cache keeps unless told otherwise.
pub(crate) const DEFAULT_CAPACITY: usize = 64;

/// Decoded keys by id and source bytes, at most `capacity` of them.
pub(crate) struct KeyCache {
    capacity: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    entries: HashMap<KeyId, Entry>,
    /// A counter advanced on every use: the least recently used entry has the lowest `used`.
    clock: u64,
}

struct Entry {
    /// The bytes the key was decoded from (a sealed blob: ciphertext, not secret).
    source: Vec<u8>,
    key: PrivateKey,
    used: u64,
}

impl std::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyCache")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish()
    }
}

impl Default for KeyCache {
    fn default() -> Self {
        KeyCache::new(DEFAULT_CAPACITY)
    }
}

impl KeyCache {
    /// An empty cache keeping at most `capacity` keys (0 keeps none).
    pub(crate) fn new(capacity: usize) -> Self {
        KeyCache {
            capacity,
            state: Mutex::new(State::default()),
        }
    }

    /// The key `id` decoded from `source`: from the cache when it holds that key decoded from
    /// byte-identical `source`, otherwise from `load` (whose result is cached only when it is
    /// `Ok`; an error is returned as is). The lock is not held while `load` runs.
    pub(crate) fn get_or_load(
        &self,
        id: &KeyId,
        source: &[u8],
        load: impl FnOnce() -> Result<PrivateKey>,
    ) -> Result<PrivateKey> {
        if let Some(key) = self.lookup(id, source) {
            return Ok(key);
        }
        let key = load()?;
        Ok(self.insert(*id, source, key))
    }

    /// Drops the entry of `id`, if any. Returns whether there was one.
    pub(crate) fn remove(&self, id: &KeyId) -> bool {
        self.lock().entries.remove(id).is_some()
    }

    /// How many keys are cached.
    pub(crate) fn len(&self) -> usize {
        self.lock().entries.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while the lock was held cannot leave an entry half-written (every change is
        // one map operation), so a poisoned lock is still consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn lookup(&self, id: &KeyId, source: &[u8]) -> Option<PrivateKey> {
        let mut state = self.lock();
        state.clock += 1;
        let now = state.clock;
        let entry = state.entries.get_mut(id)?;
        if entry.source != source {
            return None;
        }
        entry.used = now;
        Some(entry.key.clone())
    }

    /// Caches `key` (decoded from `source`) and returns the key callers should use: the one
    /// already cached when another thread decoded the same source meanwhile, so all callers
    /// share one key object.
    fn insert(&self, id: KeyId, source: &[u8], key: PrivateKey) -> PrivateKey {
        if self.capacity == 0 {
            return key;
        }
        let mut state = self.lock();
        state.clock += 1;
        let now = state.clock;
        if let Some(entry) = state.entries.get_mut(&id) {
            if entry.source == source {
                entry.used = now;
                return entry.key.clone();
            }
        } else if state.entries.len() >= self.capacity {
            let oldest = state
                .entries
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(id, _)| *id);
            if let Some(oldest) = oldest {
                state.entries.remove(&oldest);
            }
        }
        // A new entry, or one replacing the entry of an older source for the same id.
        state.entries.insert(
            id,
            Entry {
                source: source.to_vec(),
                key: key.clone(),
                used: now,
            },
        );
        key
    }

    #[cfg(test)]
    pub(crate) fn contains(&self, id: &KeyId) -> bool {
        self.lock().entries.contains_key(id)
    }
}

#[cfg(test)]
mod tests;
