//! Readers and writers for the streaming tests of [`super::Pki::protect_to`] and
//! [`super::Pki::open_from`].

use std::io::{Read, Write};

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
