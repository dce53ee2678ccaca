//! BER to DER-shaped bytes, for the peers that write BER.
//!
//! Thunderbird (NSS), BouncyCastle-based gateways, Windows and `openssl cms -stream` write CMS
//! and PKCS#12 in BER: indefinite lengths closed by end-of-contents markers, long-form lengths
//! longer than needed, and string types in constructed (segmented) form. The DER decoders this
//! library uses (`der`, `cms`, `x509-cert`) read DER only. [`to_der`] rewrites one BER element
//! so that they can:
//!
//! - every length becomes definite and minimal;
//! - a constructed encoding of a universal string type (OCTET STRING, BIT STRING, UTF8String,
//!   PrintableString, IA5String, T61String, BMPString, UniversalString, ...) becomes one
//!   primitive element holding the segments' contents in order (for a BIT STRING, the unused
//!   bits of the last segment);
//! - everything else is kept as it is: identifier octets (high tag numbers included), the
//!   contents of primitive elements, and the order of the elements of a SET or SET OF.
//!
//! The output is therefore *DER-shaped* (the lengths and string forms DER requires), not
//! canonical DER: SET OF elements are not re-sorted, because signatures over signed attributes
//! are computed over the sender's encoding, and the contents of primitive elements (a BOOLEAN
//! TRUE other than 0xFF, the unused bits of a BIT STRING) are not rewritten. A context-specific
//! or application tag in constructed form stays constructed even when it is an IMPLICIT string
//! type: its underlying type cannot be known without the ASN.1 module.
//!
//! Work is linear in the size of the input: a first pass checks the input and measures the
//! output (4 bytes of bookkeeping per constructed element), a second pass writes the output into
//! one buffer of exactly the right size. Input that is already DER-shaped is returned as it is,
//! without a copy. No recursion: nesting is tracked on a heap stack bounded by
//! [`BerLimits::max_depth`].
//!
//! ```
//! use std::borrow::Cow;
//! use hermes_pki::ber::{BerLimits, to_der};
//!
//! // SEQUENCE (indefinite length) { OCTET STRING in two segments "ab" "c" }
//! let ber = [0x30, 0x80, 0x24, 0x80, 0x04, 0x02, b'a', b'b', 0x04, 0x01, b'c', 0, 0, 0, 0];
//! let der = to_der(&ber, "CMS message", &BerLimits::default()).unwrap();
//! assert_eq!(*der, [0x30, 0x05, 0x04, 0x03, b'a', b'b', b'c']);
//!
//! // DER input comes back borrowed, not copied.
//! let again = to_der(&der, "CMS message", &BerLimits::default()).unwrap();
//! assert!(matches!(again, Cow::Borrowed(_)));
//! ```

use std::borrow::Cow;

use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::tlv::{length_len, push_length};

/// Limits for converting untrusted BER.
///
/// ```
/// use hermes_pki::ber::BerLimits;
///
/// let mut limits = BerLimits::default();
/// assert_eq!(limits.max_depth, 64);
/// limits.max_output = 16 * 1024 * 1024;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BerLimits {
    /// How deeply elements may nest: the outermost element is at depth 1, the elements inside it
    /// at depth 2, and so on (the segments of a constructed string count as a level). Default 64.
    pub max_depth: usize,
    /// The largest output accepted, in bytes. Default 256 MiB. Values above 4 GiB act as 4 GiB.
    pub max_output: usize,
}

impl Default for BerLimits {
    fn default() -> Self {
        BerLimits {
            max_depth: 64,
            max_output: 256 * 1024 * 1024,
        }
    }
}

/// Converts one BER element spanning all of `input` to DER-shaped bytes (see the
/// [module documentation](self)): definite minimal lengths, constructed string types joined into
/// primitive ones, SET OF order and primitive contents kept.
///
/// Returns `input` itself (borrowed) when it is already DER-shaped, so large DER messages are
/// not copied. `what` names the input in errors ("CMS message", "PKCS#12 file").
///
/// Fails with [`ErrorKind::Parse`](crate::ErrorKind::Parse) on: truncated data, a length beyond
/// the end of the input or of the enclosing element, an indefinite length on a primitive element,
/// an end-of-contents marker where an element was expected, a missing end-of-contents marker, a
/// segment of a constructed string with another tag than the string's, a malformed BIT STRING
/// segment, a tag number in a non-minimal form, and data after the element. Fails with
/// [`ErrorKind::LimitExceeded`](crate::ErrorKind::LimitExceeded) when elements nest deeper than
/// `limits.max_depth` or the output would exceed `limits.max_output`.
///
/// ```
/// use hermes_pki::ber::{BerLimits, to_der};
/// use hermes_pki::ErrorKind;
///
/// // Indefinite length on a primitive element.
/// let err = to_der(&[0x04, 0x80, 0, 0], "CMS message", &BerLimits::default()).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Parse);
/// assert!(err.to_string().contains("CMS message"));
/// ```
pub fn to_der<'a>(
    input: &'a [u8],
    what: &'static str,
    limits: &BerLimits,
) -> Result<Cow<'a, [u8]>> {
    let plan = measure(input, what, limits)?;
    if !plan.changed {
        return Ok(Cow::Borrowed(input));
    }
    let mut out = Vec::with_capacity(plan.total);
    write(input, what, limits, &plan, &mut out)?;
    Ok(Cow::Owned(out))
}

/// Like [`to_der`], for input that may hold secrets (decrypted content, plain key bags): the
/// result is always a copy, in a buffer allocated once at its final size (never reallocated, so
/// no stray copies are left behind) and wiped when dropped.
///
/// ```
/// use hermes_pki::ber::{BerLimits, to_der_secret};
///
/// let der = to_der_secret(&[0x30, 0x80, 0x05, 0x00, 0, 0], "PKCS#12 file", &BerLimits::default())
///     .unwrap();
/// assert_eq!(*der, [0x30, 0x02, 0x05, 0x00]);
/// ```
pub fn to_der_secret(
    input: &[u8],
    what: &'static str,
    limits: &BerLimits,
) -> Result<Zeroizing<Vec<u8>>> {
    let plan = measure(input, what, limits)?;
    if !plan.changed {
        return Ok(Zeroizing::new(input.to_vec()));
    }
    let mut out = Zeroizing::new(Vec::with_capacity(plan.total));
    write(input, what, limits, &plan, &mut out)?;
    Ok(out)
}

/// What the first pass learns and the second pass uses.
struct Plan {
    /// The output contents length of every constructed element kept constructed and of every
    /// constructed string, in the order they start in the input.
    lengths: Vec<u32>,
    /// The length of the whole output.
    total: usize,
    /// Whether the output differs from the input.
    changed: bool,
}

fn measure(input: &[u8], what: &'static str, limits: &BerLimits) -> Result<Plan> {
    let mut walker = Walker::new(input, what, limits, Mode::Measure(Vec::new()));
    let total = walker.run()?;
    match walker.mode {
        Mode::Measure(lengths) => Ok(Plan {
            lengths,
            total,
            changed: walker.changed,
        }),
        Mode::Write { .. } => Err(inconsistent(what)),
    }
}

fn write(
    input: &[u8],
    what: &'static str,
    limits: &BerLimits,
    plan: &Plan,
    out: &mut Vec<u8>,
) -> Result<()> {
    let mut walker = Walker::new(
        input,
        what,
        limits,
        Mode::Write {
            lengths: &plan.lengths,
            next: 0,
            out,
        },
    );
    let total = walker.run()?;
    let consistent = match &walker.mode {
        Mode::Write { next, out, .. } => {
            total == plan.total && out.len() == plan.total && *next == plan.lengths.len()
        }
        Mode::Measure(_) => false,
    };
    if consistent {
        Ok(())
    } else {
        Err(inconsistent(what))
    }
}

/// The error for a bug: the two passes saw different things.
fn inconsistent(what: &'static str) -> Error {
    Error::malformed(what, "internal error: the BER conversion passes disagree")
}

/// Universal tag numbers whose BER encoding may be constructed and whose DER encoding is
/// primitive: BIT STRING, OCTET STRING, ObjectDescriptor, UTF8String, the restricted character
/// string types and the two time types (which are encoded as VisibleString).
fn is_string_type(number: u32) -> bool {
    matches!(number, 3 | 4 | 7 | 12 | 18..=28 | 30)
}

/// The name of a universal string type, for messages.
fn string_type_name(number: u32) -> &'static str {
    match number {
        3 => "BIT STRING",
        4 => "OCTET STRING",
        7 => "ObjectDescriptor",
        12 => "UTF8String",
        18 => "NumericString",
        19 => "PrintableString",
        20 => "T61String",
        21 => "VideotexString",
        22 => "IA5String",
        23 => "UTCTime",
        24 => "GeneralizedTime",
        25 => "GraphicString",
        26 => "VisibleString",
        27 => "GeneralString",
        28 => "UniversalString",
        30 => "BMPString",
        _ => "string",
    }
}

const BIT_STRING: u32 = 3;

/// The identifier and length octets of one element.
struct Header {
    /// Length of the identifier octets.
    id_len: usize,
    /// Universal class.
    universal: bool,
    constructed: bool,
    number: u32,
    /// `None`: indefinite.
    len: Option<usize>,
    /// Length of the identifier and length octets.
    header_len: usize,
    /// Whether the length octets are the minimal definite form.
    minimal: bool,
}

enum Mode<'p, 'o> {
    /// First pass: record the contents length of each constructed element.
    Measure(Vec<u32>),
    /// Second pass: write, taking the lengths recorded by the first pass in order.
    Write {
        lengths: &'p [u32],
        next: usize,
        out: &'o mut Vec<u8>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A constructed element that stays constructed.
    Plain,
    /// The outermost constructed encoding of a string type: becomes one primitive element.
    String,
    /// A constructed segment inside a constructed string: disappears.
    Segment,
}

/// An open constructed element.
struct Frame {
    /// Where its contents end: for a definite length, exactly here; for an indefinite length,
    /// the end-of-contents marker must come before this (the end of the enclosing element).
    end: usize,
    indefinite: bool,
    kind: Kind,
    id_len: usize,
    /// Measure: the index of its entry in the lengths; write: the contents length to produce.
    slot: usize,
    /// Output contents bytes so far (of a `Plain` element).
    content: usize,
}

/// The constructed string being joined.
struct Joining {
    number: u32,
    /// Data bytes so far (for a BIT STRING, without unused-bits octets).
    data: usize,
    /// Unused bits of the last BIT STRING segment seen.
    unused: u8,
    /// Write: where the unused-bits octet of the output BIT STRING goes.
    unused_at: usize,
}

struct Walker<'a, 'p, 'o> {
    input: &'a [u8],
    what: &'static str,
    max_depth: usize,
    max_output: usize,
    mode: Mode<'p, 'o>,
    changed: bool,
    joining: Option<Joining>,
}

impl<'a, 'p, 'o> Walker<'a, 'p, 'o> {
    fn new(input: &'a [u8], what: &'static str, limits: &BerLimits, mode: Mode<'p, 'o>) -> Self {
        Walker {
            input,
            what,
            max_depth: limits.max_depth,
            max_output: limits.max_output.min(u32::MAX as usize),
            mode,
            changed: false,
            joining: None,
        }
    }

    fn malformed(&self, detail: &str, at: usize) -> Error {
        Error::malformed(self.what, format!("{detail} (at byte {at})"))
    }

    /// `a + b`, failing when above the output limit.
    fn add(&self, a: usize, b: usize) -> Result<usize> {
        match a.checked_add(b) {
            Some(n) if n <= self.max_output => Ok(n),
            _ => Err(Error::LimitExceeded(format!(
                "the {} is more than {} bytes once converted from BER to DER",
                self.what, self.max_output
            ))),
        }
    }

    /// The output length of an element with `id_len` identifier octets and `content` contents
    /// octets.
    fn element_len(&self, id_len: usize, content: usize) -> Result<usize> {
        self.add(id_len + length_len(content), content)
    }

    /// Walks the element spanning the input; returns the output length.
    fn run(&mut self) -> Result<usize> {
        let input = self.input;
        let mut stack: Vec<Frame> = Vec::with_capacity(self.max_depth.min(64));
        let mut pos = 0usize;
        loop {
            // Close the elements that end here.
            if let Some(&Frame {
                end, indefinite, ..
            }) = stack.last()
            {
                let closed = if indefinite {
                    let eoc = input
                        .get(pos..end)
                        .is_some_and(|rest| rest.starts_with(&[0, 0]));
                    if eoc {
                        pos += 2;
                    }
                    eoc
                } else {
                    pos == end
                };
                if closed {
                    let Some(frame) = stack.pop() else {
                        return Err(inconsistent(self.what));
                    };
                    if let Some(len) = self.close(&frame)?
                        && let Some(total) = self.element_done(&mut stack, len, pos)?
                    {
                        return Ok(total);
                    }
                    continue;
                }
                // Every element, and the end-of-contents marker, takes at least two bytes.
                if indefinite && pos + 2 > end {
                    return Err(self.malformed("missing end-of-contents marker", pos));
                }
            }
            let limit = stack.last().map_or(input.len(), |f| f.end);
            if stack.len() >= self.max_depth {
                return Err(Error::LimitExceeded(format!(
                    "the {} nests elements more than {} deep",
                    self.what, self.max_depth
                )));
            }
            let h = self.header(pos, limit, !stack.is_empty())?;
            if h.universal && h.number == 0 {
                return Err(
                    self.malformed("end-of-contents marker where an element was expected", pos)
                );
            }
            if let Some(j) = &self.joining
                && !(h.universal && h.number == j.number)
            {
                return Err(self.malformed(
                    &format!(
                        "a segment of a constructed {} has a different tag",
                        string_type_name(j.number)
                    ),
                    pos,
                ));
            }
            if !h.minimal {
                self.changed = true;
            }
            let contents = pos + h.header_len;
            if !h.constructed {
                let Some(len) = h.len else {
                    return Err(self.malformed("indefinite length on a primitive element", pos));
                };
                let value = input.get(contents..contents + len).unwrap_or_default();
                let end = contents + len;
                if self.joining.is_some() {
                    self.segment(value, pos)?;
                    pos = end;
                    continue;
                }
                let out_len = self.element_len(h.id_len, len)?;
                if let Mode::Write { out, .. } = &mut self.mode {
                    out.extend_from_slice(input.get(pos..pos + h.id_len).unwrap_or_default());
                    push_length(out, len);
                    out.extend_from_slice(value);
                }
                pos = end;
                if let Some(total) = self.element_done(&mut stack, out_len, pos)? {
                    return Ok(total);
                }
                continue;
            }
            if h.len.is_none() {
                self.changed = true;
            }
            let kind = if self.joining.is_some() {
                Kind::Segment
            } else if h.universal && is_string_type(h.number) {
                self.changed = true;
                Kind::String
            } else {
                Kind::Plain
            };
            let slot = match kind {
                Kind::Segment => 0,
                Kind::Plain | Kind::String => self.open(&h, pos)?,
            };
            if kind == Kind::String {
                let unused_at = match &mut self.mode {
                    Mode::Write { out, .. } if h.number == BIT_STRING => {
                        out.push(0);
                        out.len() - 1
                    }
                    _ => 0,
                };
                self.joining = Some(Joining {
                    number: h.number,
                    data: 0,
                    unused: 0,
                    unused_at,
                });
            }
            stack.push(Frame {
                end: h.len.map_or(limit, |len| contents + len),
                indefinite: h.len.is_none(),
                kind,
                id_len: h.id_len,
                slot,
                content: 0,
            });
            pos = contents;
        }
    }

    /// Accounts for an element of `len` output bytes that ended at `pos`: adds it to the
    /// enclosing element, or, at the top, returns the total.
    fn element_done(&self, stack: &mut [Frame], len: usize, pos: usize) -> Result<Option<usize>> {
        match stack.last_mut() {
            Some(parent) => {
                parent.content = self.add(parent.content, len)?;
                Ok(None)
            }
            None if pos == self.input.len() => Ok(Some(len)),
            None => Err(self.malformed("trailing data after the element", pos)),
        }
    }

    /// Starts the output of a constructed element (kept constructed, or a string to be joined)
    /// at `pos`; returns its slot.
    fn open(&mut self, h: &Header, pos: usize) -> Result<usize> {
        match &mut self.mode {
            Mode::Measure(lengths) => {
                lengths.push(0);
                Ok(lengths.len() - 1)
            }
            Mode::Write { lengths, next, out } => {
                let Some(&len) = lengths.get(*next) else {
                    return Err(inconsistent(self.what));
                };
                *next += 1;
                let len = len as usize;
                if h.universal && is_string_type(h.number) {
                    // Universal string types have low tag numbers: one identifier octet.
                    out.push(h.number as u8);
                } else {
                    out.extend_from_slice(self.input.get(pos..pos + h.id_len).unwrap_or_default());
                }
                push_length(out, len);
                Ok(len)
            }
        }
    }

    /// Adds one primitive segment of the string being joined.
    fn segment(&mut self, value: &[u8], pos: usize) -> Result<()> {
        let Some(j) = &self.joining else {
            return Err(inconsistent(self.what));
        };
        let data = if j.number == BIT_STRING {
            let Some((&unused, data)) = value.split_first() else {
                return Err(self.malformed("BIT STRING segment without its unused-bits octet", pos));
            };
            if unused > 7 {
                return Err(self.malformed("BIT STRING segment with more than 7 unused bits", pos));
            }
            if data.is_empty() && unused != 0 {
                return Err(self.malformed("empty BIT STRING segment with unused bits", pos));
            }
            if j.unused != 0 {
                return Err(self.malformed(
                    "a BIT STRING segment other than the last has unused bits",
                    pos,
                ));
            }
            data
        } else {
            value
        };
        let total = self.add(j.data, data.len())?;
        if let Some(j) = &mut self.joining {
            j.data = total;
            if j.number == BIT_STRING {
                j.unused = value.first().copied().unwrap_or_default();
            }
        }
        if let Mode::Write { out, .. } = &mut self.mode {
            out.extend_from_slice(data);
        }
        Ok(())
    }

    /// Finishes a constructed element; returns its output length, or `None` for a segment
    /// (whose contents were counted in the string).
    fn close(&mut self, frame: &Frame) -> Result<Option<usize>> {
        let (content, id_len) = match frame.kind {
            Kind::Segment => return Ok(None),
            Kind::Plain => (frame.content, frame.id_len),
            Kind::String => {
                let Some(j) = self.joining.take() else {
                    return Err(inconsistent(self.what));
                };
                if j.number == BIT_STRING {
                    if let Mode::Write { out, .. } = &mut self.mode
                        && let Some(b) = out.get_mut(j.unused_at)
                    {
                        *b = j.unused;
                    }
                    (self.add(j.data, 1)?, 1)
                } else {
                    (j.data, 1)
                }
            }
        };
        match &mut self.mode {
            Mode::Measure(lengths) => {
                let (Some(entry), Ok(len)) = (lengths.get_mut(frame.slot), u32::try_from(content))
                else {
                    return Err(inconsistent(self.what));
                };
                *entry = len;
            }
            Mode::Write { .. } if frame.slot != content => return Err(inconsistent(self.what)),
            Mode::Write { .. } => {}
        }
        self.element_len(id_len, content).map(Some)
    }

    /// Reads the identifier and length octets of the element at `pos`, which must end by
    /// `limit` (the end of the enclosing element if `enclosed`, else of the input).
    fn header(&self, pos: usize, limit: usize, enclosed: bool) -> Result<Header> {
        let data = self.input.get(pos..limit).unwrap_or_default();
        let end = if enclosed { End::Enclosing } else { End::Input };
        header(data, end).map_err(|detail| self.malformed(detail, pos))
    }
}

/// Where the element read by [`header`] must end.
#[derive(Clone, Copy)]
enum End {
    /// Within `data`, the enclosing element's contents.
    Enclosing,
    /// Within `data`, the input.
    Input,
    /// Anywhere: `data` may be only the first bytes of the input.
    Unchecked,
}

/// Reads the identifier and length octets (BER: indefinite lengths and non-minimal lengths
/// allowed) of the element that starts `data`.
fn header(data: &[u8], end: End) -> std::result::Result<Header, &'static str> {
    let Some(&first) = data.first() else {
        return Err("truncated: an element was expected");
    };
    let universal = first & 0xC0 == 0;
    let constructed = first & 0x20 != 0;
    let mut number = u32::from(first & 0x1F);
    let mut i = 1;
    if number == 0x1F {
        number = 0;
        loop {
            let Some(&b) = data.get(i) else {
                return Err("truncated tag");
            };
            if i == 1 && b == 0x80 {
                return Err("tag number with a leading zero");
            }
            if number > u32::MAX >> 7 {
                return Err("tag number too large");
            }
            number = (number << 7) | u32::from(b & 0x7F);
            i += 1;
            if b & 0x80 == 0 {
                break;
            }
        }
        if number < 0x1F {
            return Err("tag number below 31 written in the multi-byte form");
        }
    }
    let id_len = i;
    let Some(&first_len) = data.get(i) else {
        return Err("truncated length");
    };
    i += 1;
    let (len, minimal) = match first_len {
        0..=0x7F => (Some(usize::from(first_len)), true),
        0x80 => (None, true),
        0xFF => return Err("reserved length octet 0xFF"),
        _ => {
            let n = usize::from(first_len & 0x7F);
            let Some(bytes) = data.get(i..i + n) else {
                return Err("truncated length");
            };
            i += n;
            let zeros = bytes.iter().take_while(|b| **b == 0).count();
            let significant = bytes.get(zeros..).unwrap_or_default();
            if significant.len() > size_of::<usize>() {
                return Err("length runs past the end of the input");
            }
            let len = significant
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            (Some(len), len >= 0x80 && zeros == 0)
        }
    };
    if let Some(len) = len
        && len > data.len() - i
    {
        match end {
            End::Enclosing => return Err("length runs past the end of the enclosing element"),
            End::Input => return Err("length runs past the end of the input"),
            End::Unchecked => {}
        }
    }
    Ok(Header {
        id_len,
        universal,
        constructed,
        number,
        len,
        header_len: i,
        minimal,
    })
}

/// The identifier octet (low tag numbers only), the length of the identifier and length octets,
/// and the contents length (`None`: indefinite) of the BER element that starts `data`, or `None`
/// if it does not start with one. For telling what an input holds from its first bytes (`data`
/// may be a prefix of it: the contents are not checked to be there).
pub(crate) fn sniff_header(data: &[u8]) -> Option<(u8, usize, Option<usize>)> {
    let h = header(data, End::Unchecked).ok()?;
    let tag = *data.first()?;
    (h.number < 0x1F).then_some((tag, h.header_len, h.len))
}

#[cfg(test)]
mod tests;
