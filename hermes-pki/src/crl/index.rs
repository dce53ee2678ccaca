//! The in-memory index of a stored CRL's revoked serials: built on first use from the store's
//! entries, kept in a process-wide bounded cache, so that a revocation lookup in a CRL of a
//! million entries is a binary search in memory instead of a store query.
//!
//! An index is keyed by the CRL's identity in the store: its id and the SHA-256 of its DER.
//! A stored CRL's entries never change (the store writes them with the CRL and has no way to
//! change them afterwards), and any other CRL (the next one of the issuer, replacing it) has
//! another id and another hash. So an index cannot be stale, also when another process sharing
//! the store (one SQLite file, one PostgreSQL database) replaced the CRL: the checker reads the
//! stored CRL records in its transaction, and asks for the index of the record it found.
//!
//! The cache is bounded by the number of CRLs and the bytes their indexes hold; the least
//! recently used go first, and an index is dropped as soon as the index of a newer CRL of the
//! same issuer, signer and scope is asked for (it replaced the old one in the store). A CRL
//! whose index would not fit is searched in the store, in place
//! ([`crl_entry`](crate::store::ReadTransaction::crl_entry)).
//!
//! Layout: the CRL's packed entries as the store gave them ([`CrlEntries`]: about 21 bytes an
//! entry plus the serial's bytes, shared, not copied), and beside them the first 8 bytes of
//! each serial as a big-endian `u64` in one array (most comparisons of a search end there):
//! 37 MB for a million 16-byte serials, built from the packed entries in milliseconds.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use super::newer;
use crate::cert::Serial;
use crate::error::Result;
use crate::store::{CrlEntries, CrlId, CrlRecord, ReadTransaction, RevokedEntry};

/// CRLs whose indexes the process-wide cache keeps.
pub const INDEX_CACHE_CRLS: usize = 64;

/// Bytes the indexes in the process-wide cache may hold together (256 MiB: six CRLs of a
/// million 16-byte serials). A CRL whose index alone would exceed it is not indexed.
pub const INDEX_CACHE_BYTES: usize = 256 << 20;

/// The least an entry costs in an index: its head, offset, date, reason and one serial byte.
const MIN_ENTRY_BYTES: usize = 8 + 4 + 8 + 1 + 1;

/// The revoked serials of one CRL, sorted, with their dates and reasons.
pub(crate) struct CrlIndex {
    /// The first 8 bytes of each serial, zero-padded, big-endian.
    heads: Vec<u64>,
    entries: CrlEntries,
}

/// The sort key's first part: the first 8 bytes, zero-padded. `head(a) < head(b)` implies
/// `a < b` (byte order), so only equal heads need the whole serials compared.
fn head(serial: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    for (d, s) in b.iter_mut().zip(serial) {
        *d = *s;
    }
    u64::from_be_bytes(b)
}

impl CrlIndex {
    /// The index of a CRL's packed entries (sorted by serial, as every store keeps them).
    pub(crate) fn new(entries: CrlEntries) -> CrlIndex {
        let heads = (0..entries.len())
            .map(|i| head(entries.serial_at(i)))
            .collect();
        CrlIndex { heads, entries }
    }

    /// Number of entries.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.heads.len()
    }

    /// The memory the index holds.
    pub(crate) fn bytes(&self) -> usize {
        self.heads.capacity() * size_of::<u64>() + self.entries.heap_bytes()
    }

    /// The entry for `serial`, as the store's
    /// [`crl_entry`](crate::store::ReadTransaction::crl_entry) gives it, if the CRL lists it.
    pub(crate) fn get(&self, serial: &Serial) -> Option<RevokedEntry> {
        let key = serial.as_bytes();
        let h = head(key);
        let (mut lo, mut hi) = (0, self.heads.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let ord = match self.heads.get(mid)?.cmp(&h) {
                Ordering::Equal => self.entries.serial_at(mid).cmp(key),
                o => o,
            };
            match ord {
                Ordering::Less => lo = mid + 1,
                Ordering::Greater => hi = mid,
                Ordering::Equal => return self.entries.entry_at(mid, serial.clone()),
            }
        }
        None
    }
}

/// A cache of CRL indexes, bounded by CRLs and bytes. [`IndexCache::global`] is the process's.
pub(crate) struct IndexCache {
    max_crls: usize,
    max_bytes: usize,
    state: Mutex<State>,
}

/// A CRL's identity: what is cached for it holds as long as the store holds the CRL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    id: CrlId,
    sha256: [u8; 32],
}

impl Key {
    fn of(record: &CrlRecord) -> Key {
        Key {
            id: record.id,
            sha256: record.sha256,
        }
    }
}

/// Hashes a [`Key`] by its SHA-256's first 8 bytes and its id: the digest is already
/// uniformly spread, and the map is small and bounded ([`INDEX_CACHE_CRLS`]), so the
/// default SipHash (a tenth of a lookup) buys nothing here.
#[derive(Default, Clone, Copy)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8).take(2) {
            let mut b = [0u8; 8];
            for (d, s) in b.iter_mut().zip(chunk) {
                *d = *s;
            }
            self.0 =
                (self.0.rotate_left(5) ^ u64::from_le_bytes(b)).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

type KeyMap<V> = HashMap<Key, V, std::hash::BuildHasherDefault<KeyHasher>>;

#[derive(Default)]
struct State {
    slots: KeyMap<Cached>,
    /// Counts uses, for least-recently-used eviction.
    tick: u64,
    /// Bytes held by the built indexes of `slots`.
    bytes: usize,
}

struct Cached {
    slot: Arc<Slot>,
    /// The CRL's record, to recognise the CRLs a newer one replaces.
    record: CrlRecord,
    last_use: u64,
    /// The index's bytes once built and counted.
    bytes: usize,
}

/// Where one CRL's index is built, once: whoever asks while it is being built waits for it.
#[derive(Default)]
struct Slot {
    built: Mutex<Option<Built>>,
}

#[derive(Clone)]
enum Built {
    Index(Arc<CrlIndex>),
    /// Too big to keep: looked up in the store.
    Unindexed,
}

impl Built {
    fn index(&self) -> Option<Arc<CrlIndex>> {
        match self {
            Built::Index(i) => Some(Arc::clone(i)),
            Built::Unindexed => None,
        }
    }

    fn bytes(&self) -> usize {
        match self {
            Built::Index(i) => i.bytes(),
            Built::Unindexed => 0,
        }
    }
}

/// Whether `old` is a CRL that `new` replaced in the store: the same issuer, signer, scope
/// and kind (complete or delta), and older. Pending CRLs (no signer yet) replace nothing.
fn replaces(new: &CrlRecord, old: &CrlRecord) -> bool {
    new.signer_key.is_some()
        && new.signer_key == old.signer_key
        && new.issuer_der == old.issuer_der
        && new.scope == old.scope
        && new.delta_base.is_some() == old.delta_base.is_some()
        && newer(new, old) == Ordering::Greater
}

impl State {
    /// Removes the slot of `key`.
    fn remove(&mut self, key: &Key) {
        if let Some(c) = self.slots.remove(key) {
            self.bytes = self.bytes.saturating_sub(c.bytes);
        }
    }

    /// Removes the least recently used slots other than `keep` until within the bounds.
    fn evict(&mut self, max_crls: usize, max_bytes: usize, keep: &Key) {
        while self.slots.len() > max_crls || self.bytes > max_bytes {
            let oldest = self
                .slots
                .iter()
                .filter(|(k, _)| *k != keep)
                .min_by_key(|(_, c)| c.last_use)
                .map(|(k, _)| *k);
            match oldest {
                Some(k) => self.remove(&k),
                None => break,
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl IndexCache {
    /// An empty cache keeping the indexes of at most `max_crls` CRLs holding at most
    /// `max_bytes` together.
    pub(crate) fn new(max_crls: usize, max_bytes: usize) -> IndexCache {
        IndexCache {
            max_crls: max_crls.max(1),
            max_bytes,
            state: Mutex::new(State::default()),
        }
    }

    /// The process's cache ([`INDEX_CACHE_CRLS`], [`INDEX_CACHE_BYTES`]).
    pub(crate) fn global() -> &'static IndexCache {
        static GLOBAL: OnceLock<IndexCache> = OnceLock::new();
        GLOBAL.get_or_init(|| IndexCache::new(INDEX_CACHE_CRLS, INDEX_CACHE_BYTES))
    }

    /// The index of the stored CRL `record` (read through `tx`, which holds it), built from
    /// the store's entries on first use. `None` when it is not indexed (too big for the
    /// cache): look the entry up in the store.
    pub(crate) fn index(
        &self,
        tx: &dyn ReadTransaction,
        record: &CrlRecord,
    ) -> Result<Option<Arc<CrlIndex>>> {
        let fits = usize::try_from(record.entries)
            .ok()
            .and_then(|n| n.checked_mul(MIN_ENTRY_BYTES))
            .is_some_and(|b| b <= self.max_bytes);
        if !fits {
            return Ok(None);
        }
        let key = Key::of(record);
        let slot = {
            let mut state = lock(&self.state);
            state.tick += 1;
            let tick = state.tick;
            match state.slots.get_mut(&key) {
                Some(c) => {
                    c.last_use = tick;
                    Arc::clone(&c.slot)
                }
                None => {
                    let replaced: Vec<Key> = state
                        .slots
                        .iter()
                        .filter(|(_, c)| replaces(record, &c.record))
                        .map(|(k, _)| *k)
                        .collect();
                    for k in &replaced {
                        state.remove(k);
                    }
                    let slot = Arc::new(Slot::default());
                    state.slots.insert(
                        key,
                        Cached {
                            slot: Arc::clone(&slot),
                            record: record.clone(),
                            last_use: tick,
                            bytes: 0,
                        },
                    );
                    state.evict(self.max_crls, self.max_bytes, &key);
                    slot
                }
            }
        };
        let mut built = lock(&slot.built);
        if let Some(b) = built.as_ref() {
            return Ok(b.index());
        }
        let index = CrlIndex::new(tx.crl_entries(record.id)?);
        let b = if index.bytes() <= self.max_bytes {
            Built::Index(Arc::new(index))
        } else {
            Built::Unindexed
        };
        *built = Some(b.clone());
        drop(built);
        let mut state = lock(&self.state);
        if let Some(c) = state.slots.get_mut(&key)
            && Arc::ptr_eq(&c.slot, &slot)
        {
            c.bytes = b.bytes();
            state.bytes += b.bytes();
            state.evict(self.max_crls, self.max_bytes, &key);
        }
        Ok(b.index())
    }

    /// Drops what is cached for the CRL `id` (deleted or replaced in the store).
    pub(crate) fn forget(&self, id: CrlId) {
        let mut state = lock(&self.state);
        let keys: Vec<Key> = state.slots.keys().filter(|k| k.id == id).copied().collect();
        for k in &keys {
            state.remove(k);
        }
    }

    /// Drops every index.
    pub(crate) fn clear(&self) {
        let mut state = lock(&self.state);
        state.slots.clear();
        state.bytes = 0;
    }

    /// The CRLs the cache holds something for (built or being built), and the bytes of the
    /// built indexes.
    #[cfg(test)]
    pub(crate) fn usage(&self) -> (usize, usize) {
        let state = lock(&self.state);
        (state.slots.len(), state.bytes)
    }

    /// Whether the cache holds a built index for the CRL `record`.
    #[cfg(test)]
    pub(crate) fn has_index(&self, record: &CrlRecord) -> bool {
        let slot = lock(&self.state)
            .slots
            .get(&Key::of(record))
            .map(|c| Arc::clone(&c.slot));
        slot.is_some_and(|s| matches!(*lock(&s.built), Some(Built::Index(_))))
    }
}

/// Drops every CRL index this process built (they are rebuilt on their next use): to give the
/// memory back, or to measure a first lookup.
pub fn clear_index_cache() {
    IndexCache::global().clear();
}

#[cfg(test)]
mod tests;
