//! The MIME layer on streams: a message read from a [`Read`] in chunks (its header block first,
//! then the body, line ends made CRLF on the way), base64 written to a [`Write`] in 76-character
//! lines as it is produced, and base64 decoded as it is read. The limits of the in-memory layer
//! ([`MAX_MESSAGE`], [`MAX_HEADER_BLOCK`]) hold here too.

use std::io::{Read, Write};

use base64ct::{Base64, Encoding};

use super::{HeadBlock, MAX_HEADER_BLOCK, MAX_MESSAGE, split_head_block};
use crate::error::{Error, Result};

/// The size of the chunks read from the input and written to the output.
pub(crate) const CHUNK: usize = 64 * 1024;

/// A failed read of the message.
fn read_failed(source: std::io::Error) -> Error {
    Error::Io {
        action: "cannot read",
        path: "the message input".into(),
        source,
    }
}

/// A failed write of the output.
pub(crate) fn write_failed(source: std::io::Error) -> Error {
    Error::Io {
        action: "cannot write",
        path: "the message output".into(),
        source,
    }
}

fn too_large() -> Error {
    Error::LimitExceeded(format!("the message is larger than {MAX_MESSAGE} bytes"))
}

/// Past this size, a growing message buffer takes [`LARGE_BUFFER`] of room at once.
const SMALL_BUFFER: usize = 1024 * 1024;
/// The room a large message buffer takes at once.
const LARGE_BUFFER: usize = 32 * 1024 * 1024;

/// Makes room in a buffer that collects a message for `additional` more bytes. Up to 1 MiB it
/// grows as a `Vec` does; past that, it takes at least 32 MiB of room at once, then doubles.
/// With glibc's allocator, a buffer that large is a mapping of its own, which the kernel
/// grows without copying and whose pages count only once written; growing by doubling from
/// a few KiB instead leaves each smaller predecessor behind in the heap (freed, but still
/// resident), which for a 25 MiB message added about one more copy to the peak. The room
/// not used is given back before a buffer is wiped or kept (`shrink_to_fit`).
pub(crate) fn grow(buf: &mut Vec<u8>, additional: usize) {
    let needed = buf.len().saturating_add(additional);
    if needed <= buf.capacity() {
        return;
    }
    let mut target = needed.max(buf.capacity().saturating_mul(2));
    if needed > SMALL_BUFFER {
        target = target.max(LARGE_BUFFER);
    }
    buf.reserve_exact(target - buf.len());
}

/// A message input: counts what it reads and refuses more than [`MAX_MESSAGE`] bytes.
pub(crate) struct Input<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Input<R> {
    pub(crate) fn new(inner: R) -> Self {
        Input { inner, read: 0 }
    }

    /// Reads up to `buf.len()` bytes (0 at the end of the input).
    pub(crate) fn read_chunk(&mut self, buf: &mut [u8]) -> Result<usize> {
        loop {
            match self.inner.read(buf) {
                Ok(n) => {
                    self.read += n as u64;
                    if self.read > MAX_MESSAGE as u64 {
                        return Err(too_large());
                    }
                    return Ok(n);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(read_failed(e)),
            }
        }
    }

    /// Reads the header block: the outer fields and the entity's header as
    /// [`super::split_message`] splits them, and the body bytes read past it.
    pub(crate) fn read_head(&mut self) -> Result<(HeadBlock, Vec<u8>)> {
        let mut buf = Vec::new();
        let mut chunk = vec![0u8; 8 * 1024];
        let mut scan = HeadScan::default();
        loop {
            let n = self.read_chunk(&mut chunk)?;
            buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
            if let Some((head_end, body_start)) = head_end(&buf, n == 0, &mut scan) {
                let head = split_head_block(buf.get(..head_end).unwrap_or_default())?;
                let pending = buf.get(body_start..).unwrap_or_default().to_vec();
                return Ok((head, pending));
            }
            // Whatever follows, the header block is longer than the limit.
            if buf.len() > MAX_HEADER_BLOCK + 1 {
                return Err(Error::LimitExceeded(format!(
                    "a MIME header block is larger than {MAX_HEADER_BLOCK} bytes"
                )));
            }
        }
    }

    /// Reads the rest of the body (after `pending`, the part already read) into `out`; with
    /// `crlf`, every line end made CRLF as [`super::to_crlf`] does.
    pub(crate) fn read_body(
        &mut self,
        pending: &[u8],
        crlf: bool,
        out: &mut Vec<u8>,
    ) -> Result<()> {
        let mut conv = Crlf::default();
        let mut push = |data: &[u8], out: &mut Vec<u8>| {
            grow(out, data.len());
            if crlf {
                conv.push(data, out);
            } else {
                out.extend_from_slice(data);
            }
        };
        push(pending, out);
        let mut chunk = vec![0u8; CHUNK];
        loop {
            let n = self.read_chunk(&mut chunk)?;
            if n == 0 {
                return Ok(());
            }
            push(chunk.get(..n).unwrap_or_default(), out);
        }
    }

    /// Copies the rest of the input to `out` as it is read (the limit still counts), then
    /// flushes `out`.
    pub(crate) fn copy_to(&mut self, out: &mut dyn Write) -> Result<()> {
        let mut chunk = vec![0u8; CHUNK];
        loop {
            let n = self.read_chunk(&mut chunk)?;
            if n == 0 {
                return out.flush().map_err(write_failed);
            }
            out.write_all(chunk.get(..n).unwrap_or_default())
                .map_err(write_failed)?;
        }
    }

    /// Reads the rest of the input and drops it (the limit still counts).
    pub(crate) fn skip_rest(&mut self) -> Result<()> {
        let mut chunk = vec![0u8; CHUNK];
        while self.read_chunk(&mut chunk)? > 0 {}
        Ok(())
    }

    /// Reads the rest of the body (after `pending`) as base64 (whitespace ignored), decoded
    /// into `out`.
    pub(crate) fn read_base64(&mut self, pending: &[u8], out: &mut Vec<u8>) -> Result<()> {
        let mut decoder = Base64Decoder::default();
        decoder.push(pending, out)?;
        let mut chunk = vec![0u8; CHUNK];
        loop {
            let n = self.read_chunk(&mut chunk)?;
            if n == 0 {
                return decoder.finish(out);
            }
            decoder.push(chunk.get(..n).unwrap_or_default(), out)?;
        }
    }
}

/// How far [`head_end`] has looked: each byte is looked at once, however the input arrives.
#[derive(Default)]
struct HeadScan {
    /// The next byte to look at.
    i: usize,
    /// Where the current line starts.
    line_start: usize,
}

/// Where the header block of `buf` ends: (end of the header block, start of the body), as
/// [`super::split_raw`] finds it; `None` when more input is needed to tell (`eof` false).
/// `scan` carries on from the previous call on the same (grown) buffer.
fn head_end(buf: &[u8], eof: bool, scan: &mut HeadScan) -> Option<(usize, usize)> {
    while let Some(&b) = buf.get(scan.i) {
        if b == b'\n' || b == b'\r' {
            if b == b'\r' && scan.i + 1 == buf.len() && !eof {
                // A CR at the end: a CRLF or a bare CR, the next read tells.
                return None;
            }
            let end = if b == b'\r' && buf.get(scan.i + 1) == Some(&b'\n') {
                scan.i + 2
            } else {
                scan.i + 1
            };
            if scan.i == scan.line_start {
                return Some((scan.line_start, end));
            }
            scan.line_start = end;
            scan.i = end;
        } else {
            scan.i += 1;
        }
    }
    eof.then_some((buf.len(), buf.len()))
}

/// Line ends to CRLF across chunk boundaries: a CR is written as CRLF at once, and an LF right
/// after it (in the same chunk or the next) is then dropped.
#[derive(Default)]
struct Crlf {
    after_cr: bool,
}

impl Crlf {
    fn push(&mut self, mut data: &[u8], out: &mut Vec<u8>) {
        if self.after_cr && !data.is_empty() {
            if let Some(rest) = data.strip_prefix(b"\n") {
                data = rest;
            }
            self.after_cr = false;
        }
        while let Some(p) = memchr::memchr2(b'\r', b'\n', data) {
            out.extend_from_slice(data.get(..p).unwrap_or_default());
            out.extend_from_slice(b"\r\n");
            let mut next = p + 1;
            if data.get(p) == Some(&b'\r') {
                match data.get(next) {
                    Some(b'\n') => next += 1,
                    // The LF of this CR may open the next chunk.
                    None => self.after_cr = true,
                    Some(_) => {}
                }
            }
            data = data.get(next..).unwrap_or_default();
        }
        out.extend_from_slice(data);
    }
}

/// Base64 with whitespace anywhere, decoded as it arrives; what [`super::decode_base64`]
/// accepts, in chunks.
#[derive(Default)]
struct Base64Decoder {
    /// Base64 characters not decoded yet.
    text: Vec<u8>,
    /// A decoded block ended in padding: nothing may follow.
    ended: bool,
}

/// Base64 characters decoded at a time (a multiple of 4).
const DECODE_BLOCK: usize = 64 * 1024;

fn bad_base64() -> Error {
    Error::malformed("MIME message", "the base64 body does not decode")
}

impl Base64Decoder {
    fn push(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<()> {
        for &b in data {
            if b.is_ascii_whitespace() {
                continue;
            }
            if self.ended {
                return Err(bad_base64());
            }
            self.text.push(b);
            if self.text.len() == DECODE_BLOCK {
                self.decode(out)?;
            }
        }
        Ok(())
    }

    fn decode(&mut self, out: &mut Vec<u8>) -> Result<()> {
        let text = std::str::from_utf8(&self.text)
            .map_err(|_| Error::malformed("MIME message", "the base64 body is not text"))?;
        let start = out.len();
        grow(out, self.text.len() / 4 * 3 + 3);
        out.resize(start + self.text.len() / 4 * 3 + 3, 0);
        let n = Base64::decode(text, out.get_mut(start..).unwrap_or_default())
            .map_err(|_| bad_base64())?
            .len();
        out.truncate(start + n);
        self.ended = self.text.last() == Some(&b'=');
        self.text.clear();
        Ok(())
    }

    fn finish(mut self, out: &mut Vec<u8>) -> Result<()> {
        if self.text.is_empty() {
            return Ok(());
        }
        self.decode(out)
    }
}

/// Base64 in lines of 76 characters, CRLF after each, written as it is produced: the same
/// text as [`super::encode_base64`] of everything written, in one piece.
pub(crate) struct Base64Writer<'w> {
    out: &'w mut dyn Write,
    /// Input not encoded yet (fewer than 57 bytes between calls).
    carry: Vec<u8>,
    /// Encoded lines not written yet.
    lines: Vec<u8>,
}

/// Bytes that make one 76-character line.
const LINE_INPUT: usize = 57;

impl<'w> Base64Writer<'w> {
    pub(crate) fn new(out: &'w mut dyn Write) -> Self {
        Base64Writer {
            out,
            carry: Vec::with_capacity(LINE_INPUT),
            lines: Vec::with_capacity(CHUNK + 80),
        }
    }

    fn line(&mut self, group: &[u8]) -> std::io::Result<()> {
        let mut enc = [0u8; 76];
        let text = Base64::encode(group, &mut enc)
            .map_err(|_| std::io::Error::other("base64 line length"))?;
        self.lines.extend_from_slice(text.as_bytes());
        self.lines.extend_from_slice(b"\r\n");
        if self.lines.len() >= CHUNK {
            self.out.write_all(&self.lines)?;
            self.lines.clear();
        }
        Ok(())
    }

    /// Encodes `data`.
    pub(crate) fn write(&mut self, mut data: &[u8]) -> std::io::Result<()> {
        if !self.carry.is_empty() {
            let take = (LINE_INPUT - self.carry.len()).min(data.len());
            let (head, rest) = data.split_at(take);
            self.carry.extend_from_slice(head);
            data = rest;
            if self.carry.len() < LINE_INPUT {
                return Ok(());
            }
            let group = std::mem::take(&mut self.carry);
            self.line(&group)?;
            self.carry = group;
            self.carry.clear();
        }
        let mut groups = data.chunks_exact(LINE_INPUT);
        for group in &mut groups {
            self.line(group)?;
        }
        self.carry.extend_from_slice(groups.remainder());
        Ok(())
    }

    /// Encodes what is left (with padding) and writes every line out.
    pub(crate) fn finish(mut self) -> std::io::Result<()> {
        if !self.carry.is_empty() {
            let group = std::mem::take(&mut self.carry);
            self.line(&group)?;
        }
        self.out.write_all(&self.lines)
    }
}

/// A writer that counts the bytes written through it.
pub(crate) struct Counting<W> {
    pub inner: W,
    pub count: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
