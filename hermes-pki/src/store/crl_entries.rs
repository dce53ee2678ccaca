//! The revoked certificates of one stored CRL, packed: the form every store keeps them in
//! (one value per CRL), and the form revocation lookups search.
//!
//! A CRL of a million entries is a million rows in a table with an index, or one value of
//! about 29 MB written at once. Stores keep the packed value: it is written and read without
//! per-row work, and a lookup in it is a binary search, either in memory or, for a value too
//! big to hold, by positional reads in the stored value ([`search_stored`]).
//!
//! Layout (version 1, little-endian, `n` entries sorted by serial bytes, `S` serial bytes):
//!
//! | bytes | what |
//! |---|---|
//! | 1 | version: 1 |
//! | 4 | `n` (`u32`) |
//! | 4 × (n + 1) | where each serial starts among the serial bytes (`u32`); the last is `S` |
//! | S | the serials' big-endian magnitudes, one after the other |
//! | 8 × n | revocation dates, seconds since the Unix epoch (`i64`) |
//! | n | reason codes; 255 when the entry has none |
//!
//! A stored value is checked when read: its lengths agree, and its serials are strictly
//! ascending and minimal (no leading zero byte but in zero itself), so a search in it cannot
//! answer wrongly.

use std::cmp::Ordering;
use std::sync::Arc;

use super::RevokedEntry;
use super::records::duplicate_crl_entry;
use crate::cert::Serial;
use crate::error::{Error, Result};
use crate::time::{from_unix_seconds, unix_seconds};

/// The format version this library writes and reads.
const VERSION: u8 = 1;

/// Version byte and entry count.
const HEADER: usize = 1 + 4;

/// The reason byte of an entry without a reason code.
const NO_REASON: u8 = 0xff;

/// The revoked certificates of one CRL, sorted by serial number, packed in one shared buffer
/// (cloning is cheap). Revocation dates are whole seconds, as every store keeps them.
#[derive(Clone)]
pub struct CrlEntries {
    bytes: Arc<Vec<u8>>,
    layout: Layout,
}

/// Where the parts of a packed value start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Layout {
    count: usize,
    serials: usize,
    dates: usize,
    reasons: usize,
}

impl Layout {
    /// The layout of `count` entries with `serial_bytes` serial bytes, and the total length.
    fn of(count: usize, serial_bytes: usize) -> Option<(Layout, usize)> {
        let serials = count.checked_add(1)?.checked_mul(4)?.checked_add(HEADER)?;
        let dates = serials.checked_add(serial_bytes)?;
        let reasons = dates.checked_add(count.checked_mul(8)?)?;
        let total = reasons.checked_add(count)?;
        Some((
            Layout {
                count,
                serials,
                dates,
                reasons,
            },
            total,
        ))
    }
}

fn corrupt(what: &str) -> Error {
    Error::Storage(format!("a stored CRL's entries are corrupt: {what}"))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<usize> {
    let b: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    usize::try_from(u32::from_le_bytes(b)).ok()
}

/// An entry from its stored date and reason byte.
fn revoked(serial: Serial, date: i64, reason: u8) -> RevokedEntry {
    RevokedEntry {
        serial,
        date: from_unix_seconds(date),
        reason: (reason != NO_REASON).then_some(reason),
    }
}

/// The layout of a stored value of `len` bytes, from its first [`HEADER`] bytes (version and
/// entry count) and `offset_at`, which reads the `u32` offset at a position of the value (the
/// last offset says where the serials end): the value's parts must fill it exactly.
fn stored_layout(
    len: usize,
    head: &[u8],
    offset_at: impl FnOnce(usize) -> Result<usize>,
) -> Result<Layout> {
    let (version, count) = match (head.first(), u32_at(head, 1)) {
        (Some(&v), Some(n)) if len >= HEADER => (v, n),
        _ => return Err(corrupt("too short")),
    };
    if version != VERSION {
        return Err(corrupt(&format!("unknown format version {version}")));
    }
    let serial_bytes = offset_at(HEADER + 4 * count)?;
    let (layout, total) =
        Layout::of(count, serial_bytes).ok_or_else(|| corrupt("impossible lengths"))?;
    if total != len {
        return Err(corrupt("its length does not match its entry count"));
    }
    Ok(layout)
}

fn i64_at(bytes: &[u8], at: usize) -> Option<i64> {
    let b: [u8; 8] = bytes.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(i64::from_le_bytes(b))
}

impl Default for CrlEntries {
    fn default() -> Self {
        let mut bytes = vec![VERSION];
        bytes.extend_from_slice(&0u32.to_le_bytes()); // no entries
        bytes.extend_from_slice(&0u32.to_le_bytes()); // where the (no) serials end
        CrlEntries {
            bytes: Arc::new(bytes),
            layout: Layout {
                count: 0,
                serials: HEADER + 4,
                dates: HEADER + 4,
                reasons: HEADER + 4,
            },
        }
    }
}

impl CrlEntries {
    /// Packs `entries` (in any order). Refused: a serial listed twice
    /// ([`Error::InvalidArgument`]), a reason code of 255 (no CRLReason has it), or more than
    /// 4 GiB of serials.
    pub fn new(entries: &[RevokedEntry]) -> Result<CrlEntries> {
        let mut sorted: Vec<&RevokedEntry> = entries.iter().collect();
        if !sorted.is_sorted_by(|a, b| a.serial < b.serial) {
            sorted.sort_unstable_by(|a, b| a.serial.cmp(&b.serial));
        }
        CrlEntries::from_sorted(
            sorted
                .iter()
                .map(|e| (e.serial.as_bytes(), unix_seconds(e.date), e.reason)),
        )
    }

    /// Packs entries given in serial order, each `(serial bytes, revocation date in Unix
    /// seconds, reason code)`, serials as [`Serial::as_bytes`] gives them. What
    /// [`new`](Self::new) refuses is refused here too, and so are serials out of order or not
    /// minimal (an [`Error::InvalidArgument`]).
    pub(crate) fn from_sorted<'a, I>(entries: I) -> Result<CrlEntries>
    where
        I: ExactSizeIterator<Item = (&'a [u8], i64, Option<u8>)> + Clone,
    {
        let too_big = || Error::InvalidArgument("the CRL has too many entries to store".into());
        let mut serial_bytes = 0usize;
        let mut previous: Option<&[u8]> = None;
        for (serial, _, reason) in entries.clone() {
            if let Some(p) = previous {
                match p.cmp(serial) {
                    Ordering::Less => {}
                    Ordering::Equal => return Err(duplicate_crl_entry(&Serial::from_bytes(p))),
                    Ordering::Greater => {
                        return Err(Error::InvalidArgument(
                            "CRL entries to pack are not in serial order".into(),
                        ));
                    }
                }
            }
            if Serial::minimal(serial).len() != serial.len() {
                return Err(Error::InvalidArgument(
                    "a serial number to pack has a leading zero byte".into(),
                ));
            }
            if reason == Some(NO_REASON) {
                return Err(Error::InvalidArgument(format!(
                    "serial number {}: reason code {NO_REASON} is not a CRLReason",
                    Serial::from_bytes(serial)
                )));
            }
            previous = Some(serial);
            serial_bytes += serial.len();
        }
        let count = u32::try_from(entries.len()).map_err(|_| too_big())?;
        u32::try_from(serial_bytes).map_err(|_| too_big())?;
        let (layout, total) = Layout::of(entries.len(), serial_bytes).ok_or_else(too_big)?;
        let mut bytes = Vec::with_capacity(total);
        bytes.push(VERSION);
        bytes.extend_from_slice(&count.to_le_bytes());
        let mut at = 0u32;
        for (serial, _, _) in entries.clone() {
            bytes.extend_from_slice(&at.to_le_bytes());
            // Cannot overflow: the sum of all serial lengths fits in a u32 (checked above).
            at = at.wrapping_add(serial.len() as u32);
        }
        bytes.extend_from_slice(&at.to_le_bytes());
        for (serial, _, _) in entries.clone() {
            bytes.extend_from_slice(serial);
        }
        for (_, date, _) in entries.clone() {
            bytes.extend_from_slice(&date.to_le_bytes());
        }
        for (_, _, reason) in entries {
            bytes.push(reason.unwrap_or(NO_REASON));
        }
        if bytes.len() != total {
            // Only an iterator that changes between passes could do this.
            return Err(Error::InvalidArgument(
                "CRL entries changed while packed".into(),
            ));
        }
        Ok(CrlEntries {
            bytes: Arc::new(bytes),
            layout,
        })
    }

    /// Reads the packed form a store kept ([`as_bytes`](Self::as_bytes)), checking it: a value
    /// that is not a packed list of ascending serials is an [`Error::Storage`].
    pub fn from_bytes(bytes: Vec<u8>) -> Result<CrlEntries> {
        let layout = check(&bytes)?;
        Ok(CrlEntries {
            bytes: Arc::new(bytes),
            layout,
        })
    }

    /// The packed form, as stores keep it.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.layout.count
    }

    /// Whether the CRL lists no certificate.
    pub fn is_empty(&self) -> bool {
        self.layout.count == 0
    }

    /// The bytes of the `i`th serial (empty past the end).
    pub(crate) fn serial_at(&self, i: usize) -> &[u8] {
        let start = u32_at(&self.bytes, HEADER + 4 * i);
        let end = u32_at(&self.bytes, HEADER + 4 * (i + 1));
        match (start, end) {
            (Some(s), Some(e)) => self
                .bytes
                .get(self.layout.serials + s..self.layout.serials + e)
                .unwrap_or_default(),
            _ => &[],
        }
    }

    /// The `i`th entry, for `serial` (its serial bytes).
    pub(crate) fn entry_at(&self, i: usize, serial: Serial) -> Option<RevokedEntry> {
        let date = i64_at(&self.bytes, self.layout.dates + 8 * i)?;
        let reason = *self.bytes.get(self.layout.reasons + i)?;
        Some(revoked(serial, date, reason))
    }

    /// The entry for `serial`, if the CRL lists it (a binary search).
    pub fn get(&self, serial: &Serial) -> Option<RevokedEntry> {
        let key = serial.as_bytes();
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.serial_at(mid).cmp(key) {
                Ordering::Less => lo = mid + 1,
                Ordering::Greater => hi = mid,
                Ordering::Equal => return self.entry_at(mid, serial.clone()),
            }
        }
        None
    }

    /// Every entry, by serial.
    pub fn iter(&self) -> impl Iterator<Item = RevokedEntry> + '_ {
        // Every index below `len` has an entry: the layout was checked when packed or read.
        (0..self.len()).filter_map(|i| self.entry_at(i, Serial::from_bytes(self.serial_at(i))))
    }

    /// Every entry, by serial, as a list.
    pub fn to_vec(&self) -> Vec<RevokedEntry> {
        self.iter().collect()
    }

    /// The memory the packed form holds.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.bytes.capacity()
    }
}

impl std::fmt::Debug for CrlEntries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrlEntries")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

impl PartialEq for CrlEntries {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for CrlEntries {}

/// Checks a stored packed value and returns its layout.
fn check(bytes: &[u8]) -> Result<Layout> {
    let layout = stored_layout(bytes.len(), bytes.get(..HEADER).unwrap_or_default(), |at| {
        u32_at(bytes, at).ok_or_else(|| corrupt("truncated"))
    })?;
    let (count, serial_bytes) = (layout.count, layout.dates - layout.serials);
    let mut previous: Option<&[u8]> = None;
    let mut start = 0;
    for i in 0..count {
        let next = u32_at(bytes, HEADER + 4 * (i + 1)).ok_or_else(|| corrupt("truncated"))?;
        if u32_at(bytes, HEADER + 4 * i) != Some(start) || next < start || next > serial_bytes {
            return Err(corrupt("a serial's offsets are out of order"));
        }
        let serial = bytes
            .get(layout.serials + start..layout.serials + next)
            .ok_or_else(|| corrupt("truncated"))?;
        if Serial::minimal(serial).len() != serial.len() {
            return Err(corrupt("a serial has a leading zero byte"));
        }
        if previous.is_some_and(|p| p >= serial) {
            return Err(corrupt("serials are not in ascending order"));
        }
        previous = Some(serial);
        start = next;
    }
    if start != serial_bytes {
        return Err(corrupt("the serial bytes do not add up"));
    }
    Ok(layout)
}

/// Looks `serial` up in a stored packed value of `len` bytes without holding it: `read(at,
/// buf)` fills `buf` with the value's bytes from `at` (a store's positional read). About two
/// reads per halving, so some 45 small reads in a value of a million entries. A value whose
/// parts do not fit its length is an [`Error::Storage`]; the order of its serials is not
/// checked here (it is when the whole value is read).
pub(crate) fn search_stored(
    len: usize,
    serial: &Serial,
    read: &mut dyn FnMut(usize, &mut [u8]) -> Result<()>,
) -> Result<Option<RevokedEntry>> {
    let mut head = [0u8; HEADER];
    if len >= HEADER {
        read(0, &mut head)?;
    }
    let offset = |i: usize| HEADER + 4 * i;
    let layout = stored_layout(len, &head, |at| {
        if at.checked_add(4).is_none_or(|end| end > len) {
            return Err(corrupt("truncated"));
        }
        let mut b = [0u8; 4];
        read(at, &mut b)?;
        u32_at(&b, 0).ok_or_else(|| corrupt("impossible lengths"))
    })?;
    let (count, serial_bytes) = (layout.count, layout.dates - layout.serials);
    let key = serial.as_bytes();
    let mut probe = Vec::new();
    let (mut lo, mut hi) = (0, count);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let mut pair = [0u8; 8];
        read(offset(mid), &mut pair)?;
        let (start, end) = match (u32_at(&pair, 0), u32_at(&pair, 4)) {
            (Some(s), Some(e)) if s <= e && e <= serial_bytes => (s, e),
            _ => return Err(corrupt("a serial's offsets are out of order")),
        };
        probe.resize(end - start, 0);
        read(layout.serials + start, &mut probe)?;
        match probe.as_slice().cmp(key) {
            Ordering::Less => lo = mid + 1,
            Ordering::Greater => hi = mid,
            Ordering::Equal => {
                let mut date = [0u8; 8];
                read(layout.dates + 8 * mid, &mut date)?;
                let mut reason = [0u8; 1];
                read(layout.reasons + mid, &mut reason)?;
                return Ok(Some(revoked(
                    serial.clone(),
                    i64::from_le_bytes(date),
                    reason[0],
                )));
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests;
