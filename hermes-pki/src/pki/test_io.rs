//! What the gateway's tests share: the time and a gateway with a CA and users, and the readers
//! and writers of the streaming tests of [`super::Pki::protect_to`] and
//! [`super::Pki::open_from`].

use std::io::{Read, Write};
use std::time::SystemTime;

use super::Pki;
use crate::ca::{CaSpec, DistinguishedName, IssueSpec, Issued};
use crate::key::KeySpec;
use crate::store::MemoryStore;
use crate::time::{FixedClock, from_unix_seconds};

/// 2026-01-01T00:00:00Z, the time of the gateway tests.
pub(crate) fn now() -> SystemTime {
    from_unix_seconds(1_767_225_600)
}

/// A gateway on a memory store with a CA (root + intermediate, P-256) and users issued by it.
pub(crate) fn pki_with(users: &[&str]) -> (Pki, Vec<Issued>) {
    let pki = Pki::new(MemoryStore::new());
    pki.ca()
        .create(
            &CaSpec::new(DistinguishedName::new("Mail Root"))
                .key(KeySpec::EcP256)
                .intermediate(DistinguishedName::new("Mail CA")),
            &FixedClock(now()),
        )
        .unwrap();
    let issued = users
        .iter()
        .map(|e| {
            pki.ca()
                .issue(
                    &IssueSpec::new(*e, *e).key(KeySpec::EcP256),
                    &FixedClock(now()),
                )
                .unwrap()
        })
        .collect();
    (pki, issued)
}

/// A reader that hands out one byte per call, and counts the calls.
pub(crate) struct OneByte<'a> {
    pub data: &'a [u8],
    pub reads: usize,
}

impl<'a> OneByte<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        OneByte { data, reads: 0 }
    }
}

impl Read for OneByte<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.reads += 1;
        match (self.data.split_first(), buf.first_mut()) {
            (Some((b, rest)), Some(slot)) => {
                *slot = *b;
                self.data = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

/// A writer that takes `room` bytes, then fails.
pub(crate) struct FailsAfter {
    pub room: usize,
    pub taken: Vec<u8>,
}

impl Write for FailsAfter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.taken.len() >= self.room {
            return Err(std::io::Error::other("disk full"));
        }
        let n = buf.len().min(self.room - self.taken.len());
        self.taken.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
