//! A little MIME for interop tests: wrapping a peer's CMS output as the S/MIME message a mail
//! client sends (as Thunderbird and KMail frame it), and taking the CMS back out of ours.
//!
//! Everything is CRLF; base64 in lines of 76 characters.

/// The outer header fields of every test mail (CRLF, ending before `MIME-Version`).
pub const OUTER: &str = "From: Alice <alice@example.com>\r\nTo: Bob <bob@example.com>\r\n\
    Subject: Interop\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\
    Message-ID: <interop.1@example.com>\r\n";

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Base64 in lines of 76 characters, each ended by CRLF.
pub fn base64_lines(data: &[u8]) -> Vec<u8> {
    let mut text = Vec::with_capacity(data.len() * 4 / 3 + 4);
    for chunk in data.chunks(3) {
        let n = chunk.iter().fold(0u32, |n, b| n << 8 | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..4 {
            text.push(if i <= chunk.len() {
                B64[(n >> (18 - 6 * i) & 63) as usize]
            } else {
                b'='
            });
        }
    }
    let mut out = Vec::new();
    for line in text.chunks(76) {
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Decodes base64, skipping whitespace; panics on anything else.
pub fn base64_decode(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for &c in text {
        if c.is_ascii_whitespace() || c == b'=' {
            continue;
        }
        let v = B64
            .iter()
            .position(|&x| x == c)
            .unwrap_or_else(|| panic!("{:?} is not base64", c as char)) as u32;
        acc = acc << 6 | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

/// The DER inside PEM-style armor (`-----BEGIN SIGNED MESSAGE-----`, gpgsm `--armor`;
/// `-----BEGIN ENCRYPTED MESSAGE-----`; `-----BEGIN PKCS7-----`): the base64 between the
/// first BEGIN and END lines.
pub fn dearmor(armored: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(armored);
    let mut inside = false;
    let mut b64 = String::new();
    for line in text.lines() {
        if line.starts_with("-----BEGIN ") {
            inside = true;
        } else if line.starts_with("-----END ") {
            break;
        } else if inside && !line.contains(':') {
            b64.push_str(line.trim());
        }
    }
    assert!(inside && !b64.is_empty(), "no armored block in {text:?}");
    base64_decode(b64.as_bytes())
}

/// A message: the outer header fields, `MIME-Version`, then `entity`.
pub fn message(entity: &[u8]) -> Vec<u8> {
    [OUTER.as_bytes(), b"MIME-Version: 1.0\r\n", entity].concat()
}

/// A `multipart/signed` entity as Thunderbird writes it: `content` (a CRLF entity, signed
/// exactly as given) and the detached `signature` (DER) as `smime.p7s`.
pub fn multipart_signed(content: &[u8], signature: &[u8]) -> Vec<u8> {
    let boundary = "------------ms070207050903080207080601";
    [
        format!(
            "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\";\r\n \
             micalg=sha-256; boundary=\"{boundary}\"\r\n\r\n\
             This is a cryptographically signed message in MIME format.\r\n\r\n--{boundary}\r\n"
        )
        .as_bytes(),
        content,
        format!(
            "\r\n--{boundary}\r\nContent-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n\
             Content-Transfer-Encoding: base64\r\n\
             Content-Disposition: attachment; filename=\"smime.p7s\"\r\n\
             Content-Description: S/MIME Cryptographic Signature\r\n\r\n"
        )
        .as_bytes(),
        &base64_lines(signature),
        format!("\r\n--{boundary}--\r\n").as_bytes(),
    ]
    .concat()
}

/// An `application/pkcs7-mime; smime-type=<smime_type>; name="smime.p7m"` entity with the
/// DER `cms` in base64.
pub fn pkcs7_mime(cms: &[u8], smime_type: &str) -> Vec<u8> {
    [
        format!(
            "Content-Type: application/pkcs7-mime; name=\"smime.p7m\"; smime-type={smime_type}\r\n\
             Content-Transfer-Encoding: base64\r\n\
             Content-Disposition: attachment; filename=\"smime.p7m\"\r\n\
             Content-Description: S/MIME Cryptographic Message\r\n\r\n"
        )
        .as_bytes(),
        &base64_lines(cms),
    ]
    .concat()
}

/// The same as an `application/octet-stream; name=smime.p7m` attachment, as KMail and older
/// Outlook send it (RFC 8551 3.2.2: the file name says what it is).
pub fn octet_stream_p7m(cms: &[u8]) -> Vec<u8> {
    [
        b"Content-Type: application/octet-stream; name=\"smime.p7m\"\r\n\
          Content-Transfer-Encoding: base64\r\n\
          Content-Disposition: attachment; filename=\"smime.p7m\"\r\n\r\n"
            .as_slice(),
        &base64_lines(cms),
    ]
    .concat()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A CRLF entity's header block (up to and including the blank line) and body.
pub fn head_body(entity: &[u8]) -> (&[u8], &[u8]) {
    let i = find(entity, b"\r\n\r\n").expect("an entity has a blank line after its header");
    (&entity[..i + 4], &entity[i + 4..])
}

/// The CMS inside an S/MIME message made here: for `multipart/signed`, the signed part
/// (exactly the bytes signed) and the DER signature; for `application/pkcs7-mime`, `None` and
/// the DER. The message may start with outer header fields.
pub fn cms_of(message: &[u8]) -> (Option<Vec<u8>>, Vec<u8>) {
    let (head, body) = head_body(message);
    let head_text = String::from_utf8_lossy(head).replace("\r\n ", " ");
    let head_text = head_text.replace("\r\n\t", " ");
    let content_type = head_text
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("content-type:"))
        .expect("a Content-Type header")
        .to_string();
    if !content_type
        .to_ascii_lowercase()
        .contains("multipart/signed")
    {
        return (None, base64_decode(body));
    }
    let lower = content_type.to_ascii_lowercase();
    let at = lower.find("boundary=").expect("a boundary") + "boundary=".len();
    let boundary: String = content_type[at..]
        .trim_start_matches('"')
        .chars()
        .take_while(|c| *c != '"' && *c != ';' && !c.is_whitespace())
        .collect();
    let delimiter = format!("--{boundary}\r\n");
    let start = find(body, delimiter.as_bytes()).expect("a first delimiter") + delimiter.len();
    let next = format!("\r\n--{boundary}\r\n");
    let end = start + find(&body[start..], next.as_bytes()).expect("a second delimiter");
    let content = body[start..end].to_vec();
    let sig_part = &body[end + next.len()..];
    let close = format!("\r\n--{boundary}--");
    let sig_end = find(sig_part, close.as_bytes()).expect("a closing delimiter");
    let (_, sig_body) = head_body(&sig_part[..sig_end + 2]);
    (Some(content), base64_decode(sig_body))
}
