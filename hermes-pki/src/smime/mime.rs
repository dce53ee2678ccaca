//! The MIME side of S/MIME (RFC 8551 section 3): canonical form, splitting a message into its
//! outer (RFC 5322) headers and the MIME entity that is signed or encrypted, and the
//! `multipart/signed` and `application/pkcs7-mime` wrappers.
//!
//! Header fields and Content-Type parameters are read with `mail-parser`; the bytes that are
//! signed are cut from the input by this module, so that they are exactly the bytes the
//! sender hashed.

use base64ct::{Base64, Encoding};
use mail_parser::{MessageParser, MimeHeaders};

use crate::error::{Error, Result};

pub(crate) mod stream;

/// The largest message accepted (the issue asks for tens of MB).
pub(crate) const MAX_MESSAGE: usize = 256 * 1024 * 1024;

fn malformed(detail: impl std::fmt::Display) -> Error {
    Error::malformed("MIME message", detail)
}

/// Whether every line ending of `input` is already CRLF.
fn is_crlf(input: &[u8]) -> bool {
    // Only the line-end bytes are looked at (memchr: whole vectors at a time in between).
    memchr::memchr2_iter(b'\r', b'\n', input).all(|i| match input.get(i) {
        Some(b'\n') => i > 0 && input.get(i - 1) == Some(&b'\r'),
        _ => input.get(i + 1) == Some(&b'\n'),
    })
}

/// `input` with every line ending as CRLF (bare LF and bare CR become CRLF); borrowed when it
/// already is.
pub(crate) fn to_crlf(input: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if is_crlf(input) {
        return std::borrow::Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len() + input.len() / 32 + 2);
    let mut start = 0;
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'\r' => {
                out.extend_from_slice(&input[start..i]);
                out.extend_from_slice(b"\r\n");
                if input.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            b'\n' => {
                out.extend_from_slice(&input[start..i]);
                out.extend_from_slice(b"\r\n");
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.extend_from_slice(&input[start..]);
    std::borrow::Cow::Owned(out)
}

/// Splits `entity` at the blank line that ends its header block: (headers including the final
/// CRLF of the last field, body). No blank line: all headers, empty body. Input in CRLF form.
pub(crate) fn split_head(entity: &[u8]) -> (&[u8], &[u8]) {
    if entity.starts_with(b"\r\n") {
        return (&[], &entity[2..]);
    }
    match find(entity, b"\r\n\r\n") {
        Some(i) => (&entity[..i + 2], &entity[i + 4..]),
        None => (entity, &[]),
    }
}

/// The first occurrence of `needle` in `haystack`, in linear time (a crafted body cannot make
/// the search quadratic in the needle's length).
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

/// The longest boundary RFC 2046 5.1.1 allows.
const MAX_BOUNDARY: usize = 70;

/// The largest header block (of the message, or of one MIME entity) read, in bytes.
pub const MAX_HEADER_BLOCK: usize = 256 * 1024;

/// The most header fields in one header block.
pub const MAX_HEADER_FIELDS: usize = 1_000;

/// The largest Content-Type, Content-Disposition or Content-Transfer-Encoding field (name,
/// value and continuation lines) handed to the MIME parser, in bytes.
pub const MAX_CONTENT_FIELD: usize = 8 * 1024;

/// The most parameters (counted as `;` separators) in one Content-Type or
/// Content-Disposition field. RFC 2231 continuations (`name*0=...; name*1=...`) count one each.
pub const MAX_PARAMETERS: usize = 64;

/// The most body parts in one multipart entity.
pub const MAX_PARTS: usize = 1_000;

/// The deepest nesting of multipart entities.
pub const MAX_DEPTH: usize = 32;

/// Checks a header block (CRLF form) against [`MAX_HEADER_BLOCK`] and
/// [`MAX_HEADER_FIELDS`].
fn check_head(head: &[u8]) -> Result<()> {
    if head.len() > MAX_HEADER_BLOCK {
        return Err(Error::LimitExceeded(format!(
            "a MIME header block is larger than {MAX_HEADER_BLOCK} bytes"
        )));
    }
    // Fields start at the beginning and after every CRLF not followed by folding white space.
    let mut count = usize::from(!head.is_empty());
    for p in memchr::memmem::find_iter(head, b"\r\n") {
        if !matches!(head.get(p + 2), None | Some(b' ' | b'\t')) {
            count += 1;
        }
    }
    if count > MAX_HEADER_FIELDS {
        return Err(Error::LimitExceeded(format!(
            "a MIME header block has more than {MAX_HEADER_FIELDS} header fields"
        )));
    }
    Ok(())
}

/// The header fields named in `names` (case-insensitive) of a header block, each refused when
/// longer than `max_field` bytes or with more than [`MAX_PARAMETERS`] parameters: a small,
/// bounded header block, safe to hand to the MIME parser (whose RFC 2231 continuation merging
/// is quadratic in the number of parameters).
pub(crate) fn bounded_fields(head: &[u8], names: &[&str], max_field: usize) -> Result<Vec<u8>> {
    check_head(head)?;
    let mut out = Vec::new();
    for (name, field) in fields(head) {
        let name = name.trim_ascii();
        let Some(known) = names
            .iter()
            .find(|n| name.eq_ignore_ascii_case(n.as_bytes()))
        else {
            continue;
        };
        let parameters = memchr::memchr_iter(b';', field).count();
        if parameters > MAX_PARAMETERS {
            return Err(Error::LimitExceeded(format!(
                "a {known} header field has too many parameters (more than {MAX_PARAMETERS})"
            )));
        }
        if field.len() > max_field {
            return Err(Error::LimitExceeded(format!(
                "a {known} header field is longer than {max_field} bytes"
            )));
        }
        out.extend_from_slice(field);
    }
    Ok(out)
}

/// The header fields of a header block, each with its continuation lines: (name, raw field
/// bytes including the final CRLF).
fn fields(head: &[u8]) -> Vec<(&[u8], &[u8])> {
    let mut out: Vec<(&[u8], &[u8])> = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < head.len() {
        let end = find(&head[i..], b"\r\n").map_or(head.len(), |p| i + p + 2);
        let next_is_continuation = matches!(head.get(end), Some(b' ' | b'\t'));
        if !next_is_continuation {
            let field = &head[start..end];
            let name = field
                .iter()
                .position(|b| *b == b':')
                .map_or(&field[..0], |p| &field[..p]);
            out.push((name, field));
            start = end;
        }
        i = end;
    }
    out
}

fn is_content_field(name: &[u8]) -> bool {
    let lower = name.trim_ascii().to_ascii_lowercase();
    lower.starts_with(b"content-")
}

fn is_mime_version(name: &[u8]) -> bool {
    name.trim_ascii().eq_ignore_ascii_case(b"mime-version")
}

/// A message (or bare MIME entity) split into the header fields that stay outside the
/// S/MIME wrapper (From, To, Subject, ...) and the entity that is signed or encrypted
/// (the Content-* fields and the body). All in CRLF form.
pub(crate) struct Split {
    // The message layer reads the outer fields as it streams; the tests compare with these.
    #[cfg_attr(not(test), allow(dead_code))]
    pub outer: Vec<u8>,
    pub entity: Vec<u8>,
}

/// Splits a message. An entity without Content-Type gets the RFC 2045 default
/// (`text/plain; charset=us-ascii`) written out, so the signed entity says what it is.
pub(crate) fn split_message(message: &[u8]) -> Result<Split> {
    if message.len() > MAX_MESSAGE {
        return Err(Error::LimitExceeded(format!(
            "the message is larger than {MAX_MESSAGE} bytes"
        )));
    }
    // Header block in CRLF form; the body too, unless the entity says it is binary (line
    // ends are canonicalised for text, RFC 8551 3.1.1, not inside binary content).
    let (raw_head, raw_body) = split_raw(message);
    let head = split_head_block(raw_head)?;
    let body_crlf = if head.binary {
        std::borrow::Cow::Borrowed(raw_body)
    } else {
        to_crlf(raw_body)
    };
    let mut entity = head.entity_head;
    entity.extend_from_slice(&body_crlf);
    Ok(Split {
        outer: head.outer,
        entity,
    })
}

/// A message's header block, split as [`split_message`] splits it.
pub(crate) struct HeadBlock {
    /// The header fields that stay outside (CRLF form).
    pub outer: Vec<u8>,
    /// The entity's header: its Content-* fields (a Content-Type added when missing) and the
    /// blank line; the body follows it.
    pub entity_head: Vec<u8>,
    /// Whether the entity says it is binary (its body's line ends are then left alone).
    pub binary: bool,
}

/// Splits a raw header block (any line ends, without the blank line that ends it) into the
/// outer fields and the entity's header.
pub(crate) fn split_head_block(raw_head: &[u8]) -> Result<HeadBlock> {
    if raw_head.len() > MAX_HEADER_BLOCK {
        return Err(Error::LimitExceeded(format!(
            "a MIME header block is larger than {MAX_HEADER_BLOCK} bytes"
        )));
    }
    let head_crlf = to_crlf(raw_head);
    let head: &[u8] = &head_crlf;
    check_head(head)?;
    let binary = fields(head).iter().any(|(n, f)| {
        n.trim_ascii()
            .eq_ignore_ascii_case(b"content-transfer-encoding")
            && f.to_ascii_lowercase().windows(6).any(|w| w == b"binary")
    });
    let mut outer = Vec::new();
    let mut content = Vec::new();
    for (name, field) in fields(head) {
        if is_content_field(name) {
            content.extend_from_slice(field);
        } else if !is_mime_version(name) {
            outer.extend_from_slice(field);
        }
    }
    if !fields(&content)
        .iter()
        .any(|(n, _)| n.trim_ascii().eq_ignore_ascii_case(b"content-type"))
    {
        let mut with_type = b"Content-Type: text/plain; charset=us-ascii\r\n".to_vec();
        with_type.extend_from_slice(&content);
        content = with_type;
    }
    content.extend_from_slice(b"\r\n");
    Ok(HeadBlock {
        outer,
        entity_head: content,
        binary,
    })
}

/// Splits raw input (any line ends) after the blank line that ends the header block:
/// (header block with its last line end, body).
fn split_raw(message: &[u8]) -> (&[u8], &[u8]) {
    let mut i = 0;
    let mut line_start = 0;
    while i < message.len() {
        if message[i] == b'\n' || message[i] == b'\r' {
            let end = if message[i] == b'\r' && message.get(i + 1) == Some(&b'\n') {
                i + 2
            } else {
                i + 1
            };
            if i == line_start {
                // An empty line: the head ends before it, the body after it.
                return (&message[..line_start], &message[end..]);
            }
            line_start = end;
            i = end;
        } else {
            i += 1;
        }
    }
    (message, &[])
}

/// Outer headers, `MIME-Version: 1.0`, then the entity.
pub(crate) fn join(outer: &[u8], entity: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(outer.len() + entity.len() + 20);
    out.extend_from_slice(outer);
    out.extend_from_slice(b"MIME-Version: 1.0\r\n");
    out.extend_from_slice(entity);
    out
}

/// What an entity's header says about it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct EntityType {
    /// `type/subtype`, lower case.
    pub mime_type: String,
    pub boundary: Option<String>,
    pub protocol: Option<String>,
    pub smime_type: Option<String>,
    pub micalg: Option<String>,
    /// Content-Transfer-Encoding, lower case.
    pub encoding: Option<String>,
    /// The file name: Content-Disposition's `filename`, else Content-Type's `name`.
    pub file_name: Option<String>,
}

impl EntityType {
    /// The S/MIME file extension of the entity's file name (RFC 8551 3.2.2), lower case:
    /// `p7m`, `p7s`, `p7c` or `p7z`.
    pub(crate) fn smime_extension(&self) -> Option<&'static str> {
        let name = self.file_name.as_deref()?.trim().to_ascii_lowercase();
        let (_, ext) = name.rsplit_once('.')?;
        ["p7m", "p7s", "p7c", "p7z"].into_iter().find(|e| *e == ext)
    }

    /// Whether the entity is `application/octet-stream` (or another generic binary type) named
    /// as an S/MIME file with one of `extensions` (RFC 8551 3.2.2: how KMail and older Outlook
    /// label S/MIME parts).
    pub(crate) fn is_named_smime(&self, extensions: &[&str]) -> bool {
        let generic = matches!(
            self.mime_type.as_str(),
            "application/octet-stream" | "application/x-octet-stream" | "application/binary"
        );
        generic
            && self
                .smime_extension()
                .is_some_and(|e| extensions.contains(&e))
    }
}

/// What a CMS ContentInfo holds, read from its contentType.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmsKind {
    /// id-signedData.
    Signed,
    /// id-envelopedData.
    Enveloped,
    /// id-ct-authEnvelopedData.
    AuthEnveloped,
    /// Another content type, or not a ContentInfo at all.
    Other,
}

/// The content type of a CMS ContentInfo (DER or BER), read from its first bytes only.
pub(crate) fn cms_kind(der: &[u8]) -> CmsKind {
    // ContentInfo ::= SEQUENCE { contentType OBJECT IDENTIFIER, content [0] EXPLICIT ANY }
    let oid = (|| {
        let (tag, header_len, _) = crate::ber::sniff_header(der)?;
        if tag != crate::tlv::SEQUENCE {
            return None;
        }
        let rest = der.get(header_len..)?;
        let (tag, header_len, len) = crate::ber::sniff_header(rest)?;
        if tag != crate::tlv::OID {
            return None;
        }
        rest.get(header_len..header_len.checked_add(len?)?)
    })();
    use crate::cert::oid::{ID_AUTH_ENVELOPED_DATA, ID_ENVELOPED_DATA, ID_SIGNED_DATA};
    match oid {
        Some(o) if o == ID_SIGNED_DATA.as_bytes() => CmsKind::Signed,
        Some(o) if o == ID_ENVELOPED_DATA.as_bytes() => CmsKind::Enveloped,
        Some(o) if o == ID_AUTH_ENVELOPED_DATA.as_bytes() => CmsKind::AuthEnveloped,
        _ => CmsKind::Other,
    }
}

/// The header fields [`entity_type`] reads.
const CONTENT_FIELDS: &[&str] = &[
    "Content-Type",
    "Content-Disposition",
    "Content-Transfer-Encoding",
];

/// Reads an entity's Content-Type (with parameters) and Content-Transfer-Encoding.
///
/// Only the Content-Type, Content-Disposition and Content-Transfer-Encoding fields reach the
/// MIME parser, each at most [`MAX_CONTENT_FIELD`] bytes with at most [`MAX_PARAMETERS`]
/// parameters ([`Error::LimitExceeded`] otherwise), so the work is linear in the entity's size
/// whatever its parameters look like.
pub(crate) fn entity_type(entity: &[u8]) -> Result<EntityType> {
    let (head, _) = split_head(entity);
    let mut head_only = bounded_fields(head, CONTENT_FIELDS, MAX_CONTENT_FIELD)?;
    head_only.extend_from_slice(b"\r\n");
    let Some(parsed) = MessageParser::new().parse_headers(&head_only) else {
        return Ok(EntityType {
            mime_type: "text/plain".into(),
            ..EntityType::default()
        });
    };
    let mut out = EntityType::default();
    let root = parsed.root_part();
    match root.content_type() {
        Some(ct) => {
            out.mime_type = format!(
                "{}/{}",
                ct.ctype().to_ascii_lowercase(),
                ct.subtype().unwrap_or("").to_ascii_lowercase()
            );
            let attr = |n: &str| ct.attribute(n).map(str::to_string);
            out.boundary = attr("boundary");
            out.protocol = attr("protocol").map(|p| p.to_ascii_lowercase());
            out.smime_type = attr("smime-type").map(|p| p.to_ascii_lowercase());
            out.micalg = attr("micalg").map(|p| p.to_ascii_lowercase());
        }
        None => out.mime_type = "text/plain".into(),
    }
    out.encoding = root
        .content_transfer_encoding()
        .map(|e| e.trim().to_ascii_lowercase());
    out.file_name = root
        .content_disposition()
        .and_then(|d| d.attribute("filename"))
        .or_else(|| root.content_type().and_then(|ct| ct.attribute("name")))
        .map(str::to_string);
    Ok(out)
}

/// Checks a message against the MIME limits that [`split_message`] and [`entity_type`]
/// apply to its outer layer ([`Error::LimitExceeded`] when one is exceeded).
pub(crate) fn check_limits(message: &[u8]) -> Result<()> {
    let split = split_message(message)?;
    entity_type(&split.entity).map(|_| ())
}

/// Whether an entity type is multipart/signed with a PKCS#7 signature.
pub(crate) fn is_multipart_signed(t: &EntityType) -> bool {
    t.mime_type == "multipart/signed"
}

/// Whether an entity type is `application/pkcs7-mime` (or the old `x-` form).
pub(crate) fn is_pkcs7_mime(t: &EntityType) -> bool {
    t.mime_type == "application/pkcs7-mime" || t.mime_type == "application/x-pkcs7-mime"
}

/// The body parts of a multipart entity, each exactly as it stands between its boundary
/// delimiters (the CRLF before a delimiter belongs to the delimiter, RFC 2046 5.1.1).
pub(crate) fn multipart_parts<'a>(entity: &'a [u8], boundary: &str) -> Result<Vec<&'a [u8]>> {
    if boundary.is_empty() || boundary.len() > MAX_BOUNDARY {
        return Err(malformed(format!(
            "a multipart boundary has {} characters (RFC 2046 5.1.1: 1 to {MAX_BOUNDARY})",
            boundary.len()
        )));
    }
    let (_, body) = split_head(entity);
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    // Positions of delimiter lines: at the start of the body or after a CRLF.
    let mut starts = Vec::new();
    let mut i = 0;
    while let Some(p) = find(&body[i..], delimiter) {
        let at = i + p;
        let rest = &body[at + delimiter.len()..];
        let transport_padding = rest
            .iter()
            .position(|b| *b != b' ' && *b != b'\t')
            .map_or(rest.len(), |p| p);
        let ends_line =
            rest[transport_padding..].starts_with(b"\r\n") || transport_padding == rest.len();
        let is_delimiter = rest.starts_with(b"--") || ends_line;
        if (at == 0 || body[..at].ends_with(b"\r\n")) && is_delimiter {
            // Parts plus the closing delimiter: stop reading at the first delimiter too many.
            if starts.len() > MAX_PARTS {
                return Err(Error::LimitExceeded(format!(
                    "a multipart entity has more than {MAX_PARTS} parts"
                )));
            }
            starts.push(at);
        }
        i = at + delimiter.len();
    }
    let mut parts = Vec::new();
    let mut closed = false;
    for (k, &at) in starts.iter().enumerate() {
        let after = &body[at + delimiter.len()..];
        if after.starts_with(b"--") {
            closed = true;
            break;
        }
        let line_end =
            find(after, b"\r\n").ok_or_else(|| malformed("a boundary line does not end"))?;
        let part_start = at + delimiter.len() + line_end + 2;
        let next = starts
            .get(k + 1)
            .copied()
            .ok_or_else(|| malformed("the multipart body has no closing boundary"))?;
        // The CRLF before the next delimiter is not part of this body part.
        let part_end = next
            .checked_sub(2)
            .filter(|e| *e >= part_start)
            .unwrap_or(part_start);
        parts.push(&body[part_start..part_end]);
    }
    if !closed {
        return Err(malformed("the multipart body has no closing boundary"));
    }
    Ok(parts)
}

/// The preamble (up to the first delimiter line, with the CRLF before it) and what follows
/// the closing delimiter `--boundary--` (its line end and the epilogue) of a multipart body
/// whose parts [`multipart_parts`] has read.
fn preamble_epilogue<'a>(body: &'a [u8], boundary: &str) -> (&'a [u8], &'a [u8]) {
    let open = format!("--{boundary}");
    let close = format!("--{boundary}--");
    let at_line = |p: usize| p == 0 || body[..p].ends_with(b"\r\n");
    let first = (0..body.len())
        .find(|&p| at_line(p) && body[p..].starts_with(open.as_bytes()))
        .unwrap_or(0);
    let last_close = (0..body.len())
        .rev()
        .find(|&p| at_line(p) && body[p..].starts_with(close.as_bytes()))
        .map_or(body.len(), |p| p + close.len());
    (&body[..first], &body[last_close..])
}

/// The decoded body of a non-multipart entity (base64 or quoted-printable decoded as its
/// Content-Transfer-Encoding says).
pub(crate) fn decoded_body(entity: &[u8]) -> Result<Vec<u8>> {
    let t = entity_type(entity)?;
    let (_, body) = split_head(entity);
    match t.encoding.as_deref() {
        Some("base64") => decode_base64(body),
        None | Some("7bit" | "8bit" | "binary") => Ok(body.to_vec()),
        Some(encoding)
            if encoding
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-') =>
        {
            // Only the transfer encoding goes to the MIME parser with the body: no other
            // header field of the sender's reaches it.
            let mut minimal = format!(
                "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n"
            )
            .into_bytes();
            minimal.extend_from_slice(body);
            let parsed = MessageParser::new()
                .parse(&minimal)
                .ok_or_else(|| malformed("the entity cannot be read"))?;
            Ok(parsed.root_part().contents().to_vec())
        }
        Some(_) => Err(malformed("the Content-Transfer-Encoding is not a token")),
    }
}

/// Base64 with any whitespace in it.
pub(crate) fn decode_base64(body: &[u8]) -> Result<Vec<u8>> {
    let compact: Vec<u8> = body
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    Base64::decode_vec(
        std::str::from_utf8(&compact).map_err(|_| malformed("the base64 body is not text"))?,
    )
    .map_err(|_| malformed("the base64 body does not decode"))
}

/// Base64 in lines of 76 characters, CRLF after each.
pub(crate) fn encode_base64(data: &[u8]) -> Vec<u8> {
    let text = Base64::encode_string(data);
    let mut out = Vec::with_capacity(text.len() + text.len() / 76 * 2 + 2);
    for chunk in text.as_bytes().chunks(76) {
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// A fresh boundary: random, so it cannot occur in the content.
pub(crate) fn boundary() -> Result<String> {
    let mut r = [0u8; 12];
    getrandom::fill(&mut r)
        .map_err(|e| Error::Crypto(format!("the operating system RNG failed: {e}")))?;
    Ok(format!("----=_hermes_{}", hex::encode(r)))
}

/// Makes an entity safe to sign: CRLF line ends, and every leaf part whose body has 8-bit
/// bytes (or NUL, or lines over 998 octets) under 7bit/8bit/binary transfer encoding
/// re-encoded as base64 (with its Content-Type kept), so no relay can change it. Borrowed
/// when the entity already is safe (no copy).
pub(crate) fn canonicalize(entity: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>> {
    match to_crlf(entity) {
        std::borrow::Cow::Borrowed(e) => Ok(match canonical_part(e, 0)? {
            Some(changed) => std::borrow::Cow::Owned(changed),
            None => std::borrow::Cow::Borrowed(e),
        }),
        std::borrow::Cow::Owned(e) => {
            Ok(std::borrow::Cow::Owned(canonical_part(&e, 0)?.unwrap_or(e)))
        }
    }
}

fn needs_encoding(body: &[u8]) -> bool {
    // 8-bit or NUL bytes: a non-short-circuiting test per 64-byte chunk, which the compiler
    // vectorises (a byte-at-a-time `any` was a fifth of the time of signing a large message).
    let eight_bit = body.chunks(64).any(|c| {
        c.iter()
            .fold(false, |acc, b| acc | (*b >= 0x80) | (*b == 0))
    });
    if eight_bit {
        return true;
    }
    // A line longer than 999 bytes (without its LF).
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', body) {
        if end - start > 999 {
            return true;
        }
        start = end + 1;
    }
    body.len() - start > 999
}

/// The canonical form of `entity` (CRLF form), `None` when it is the entity itself.
fn canonical_part(entity: &[u8], depth: usize) -> Result<Option<Vec<u8>>> {
    if depth > MAX_DEPTH {
        return Err(Error::LimitExceeded(format!(
            "MIME parts are nested more than {MAX_DEPTH} deep"
        )));
    }
    let t = entity_type(entity)?;
    let (head, body) = split_head(entity);
    if t.mime_type.starts_with("multipart/") {
        let Some(b) = t.boundary.as_deref() else {
            return Err(malformed("a multipart entity has no boundary"));
        };
        let parts = multipart_parts(entity, b)?;
        let mut changed = Vec::with_capacity(parts.len());
        let mut any = false;
        for p in &parts {
            let c = canonical_part(p, depth + 1)?;
            any |= c.is_some();
            changed.push(c);
        }
        if !any {
            return Ok(None);
        }
        // Rebuild: keep the preamble and epilogue, replace the parts.
        let (preamble, epilogue) = preamble_epilogue(body, b);
        let delimiter = format!("--{b}");
        let mut out = head.to_vec();
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(preamble);
        for (c, p) in changed.iter().zip(&parts) {
            out.extend_from_slice(delimiter.as_bytes());
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(c.as_deref().unwrap_or(p));
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(delimiter.as_bytes());
        out.extend_from_slice(b"--");
        out.extend_from_slice(epilogue);
        return Ok(Some(out));
    }
    let plain = matches!(
        t.encoding.as_deref(),
        None | Some("7bit" | "8bit" | "binary")
    );
    if !plain || !needs_encoding(body) || t.mime_type == "message/rfc822" {
        return Ok(None);
    }
    // Re-encode the body as base64; drop the old Content-Transfer-Encoding field.
    let mut out = Vec::with_capacity(body.len() * 4 / 3 + head.len() + 64);
    for (name, field) in fields(head) {
        if !name
            .trim_ascii()
            .eq_ignore_ascii_case(b"content-transfer-encoding")
        {
            out.extend_from_slice(field);
        }
    }
    out.extend_from_slice(b"Content-Transfer-Encoding: base64\r\n\r\n");
    out.extend_from_slice(&encode_base64(body));
    Ok(Some(out))
}

/// `multipart/signed` around `content` (canonical) and a detached signature.
#[cfg(test)]
pub(crate) fn multipart_signed(content: &[u8], signature: &[u8], micalg: &str) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(content.len() + signature.len() * 4 / 3 + 1024);
    write_multipart_signed(&mut out, &boundary()?, content, signature, micalg)
        .map_err(stream::write_failed)?;
    Ok(out)
}

/// [`multipart_signed`] written to `out` with the boundary `b`.
pub(crate) fn write_multipart_signed(
    out: &mut dyn std::io::Write,
    b: &str,
    content: &[u8],
    signature: &[u8],
    micalg: &str,
) -> std::io::Result<()> {
    out.write_all(
        format!(
            "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; \
             micalg={micalg};\r\n\tboundary=\"{b}\"\r\n\r\n\
             This is an S/MIME signed message\r\n\r\n--{b}\r\n"
        )
        .as_bytes(),
    )?;
    out.write_all(content)?;
    out.write_all(
        format!(
            "\r\n--{b}\r\nContent-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n\
             Content-Transfer-Encoding: base64\r\n\
             Content-Disposition: attachment; filename=\"smime.p7s\"\r\n\
             Content-Description: S/MIME Cryptographic Signature\r\n\r\n"
        )
        .as_bytes(),
    )?;
    let mut b64 = stream::Base64Writer::new(out);
    b64.write(signature)?;
    b64.finish()?;
    out.write_all(format!("\r\n--{b}--\r\n").as_bytes())
}

/// `application/pkcs7-mime` with `smime-type` around CMS DER.
#[cfg(test)]
pub(crate) fn pkcs7_mime(der: &[u8], smime_type: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(der.len() * 4 / 3 + der.len() / 38 + 512);
    // Writing to a Vec does not fail.
    let _ = write_pkcs7_mime(&mut out, &[der], smime_type);
    out
}

/// [`pkcs7_mime`] written to `out`, the DER given in pieces (written one after the other).
pub(crate) fn write_pkcs7_mime(
    out: &mut dyn std::io::Write,
    der: &[&[u8]],
    smime_type: &str,
) -> std::io::Result<()> {
    out.write_all(
        format!(
            "Content-Type: application/pkcs7-mime; smime-type={smime_type}; name=\"smime.p7m\"\r\n\
             Content-Transfer-Encoding: base64\r\n\
             Content-Disposition: attachment; filename=\"smime.p7m\"\r\n\
             Content-Description: S/MIME Cryptographic Message\r\n\r\n"
        )
        .as_bytes(),
    )?;
    let mut b64 = stream::Base64Writer::new(out);
    for piece in der {
        b64.write(piece)?;
    }
    b64.finish()
}

/// The micalg parameter for a digest (RFC 8551 3.5.3).
pub(crate) fn micalg(hash: crate::key::HashAlg) -> &'static str {
    match hash {
        crate::key::HashAlg::Sha1 => "sha-1",
        crate::key::HashAlg::Sha256 => "sha-256",
        crate::key::HashAlg::Sha384 => "sha-384",
        crate::key::HashAlg::Sha512 => "sha-512",
    }
}

#[cfg(test)]
mod tests;
