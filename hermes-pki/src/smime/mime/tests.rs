use super::*;

#[test]
fn line_ends_become_crlf() {
    assert_eq!(*to_crlf(b"a\nb\r\nc\rd"), *b"a\r\nb\r\nc\r\nd");
    assert!(matches!(to_crlf(b"a\r\nb"), std::borrow::Cow::Borrowed(_)));
    assert_eq!(*to_crlf(b""), *b"");
    assert_eq!(*to_crlf(b"x\n\n"), *b"x\r\n\r\n");
}

#[test]
fn messages_split_into_outer_headers_and_the_entity() {
    let m = b"From: a@example.com\nTo: b@example.com\nSubject: hi\n  there\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\nbody\n";
    let s = split_message(m).unwrap();
    assert_eq!(
        s.outer,
        b"From: a@example.com\r\nTo: b@example.com\r\nSubject: hi\r\n  there\r\n"
    );
    assert_eq!(
        s.entity,
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nbody\r\n"
    );
    let joined = join(&s.outer, &s.entity);
    assert!(joined.starts_with(b"From: a@example.com\r\n"));
    assert!(find(&joined, b"MIME-Version: 1.0\r\nContent-Type: text/plain").is_some());
    // No Content-Type: the default is written out.
    let s = split_message(b"Subject: x\r\n\r\nhello").unwrap();
    assert_eq!(
        s.entity,
        b"Content-Type: text/plain; charset=us-ascii\r\n\r\nhello"
    );
}

#[test]
fn binary_entities_keep_their_bytes() {
    let body: Vec<u8> = (0..=255u8).collect();
    let mut m = b"Subject: x\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: binary\n\n".to_vec();
    m.extend_from_slice(&body);
    let s = split_message(&m).unwrap();
    assert!(s.entity.ends_with(&body));
    assert!(
        s.entity
            .starts_with(b"Content-Type: application/octet-stream\r\n")
    );
}

#[test]
fn content_type_parameters_are_read() {
    let t = entity_type(
            b"Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\";\r\n micalg=SHA-256; boundary=\"b1\"\r\n\r\n",
        ).unwrap();
    assert_eq!(t.mime_type, "multipart/signed");
    assert_eq!(t.boundary.as_deref(), Some("b1"));
    assert_eq!(t.protocol.as_deref(), Some("application/pkcs7-signature"));
    assert_eq!(t.micalg.as_deref(), Some("sha-256"));
    let t = entity_type(
            b"Content-Type: application/x-pkcs7-mime; smime-type=enveloped-data\r\nContent-Transfer-Encoding: BASE64\r\n\r\nAA==",
        ).unwrap();
    assert!(is_pkcs7_mime(&t));
    assert_eq!(t.smime_type.as_deref(), Some("enveloped-data"));
    assert_eq!(t.encoding.as_deref(), Some("base64"));
}

#[test]
fn boundaries_longer_than_70_characters_are_refused() {
    let ok = "b".repeat(70);
    let long = "b".repeat(71);
    let entity = |b: &str| {
        format!(
            "Content-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\n--{b}\r\n\r\none\r\n--{b}--\r\n"
        )
    };
    let whole = entity(&ok);
    let parts = multipart_parts(whole.as_bytes(), &ok).unwrap();
    assert_eq!(parts, vec![&b"\r\none"[..]]);
    let e = multipart_parts(entity(&long).as_bytes(), &long).unwrap_err();
    assert!(e.to_string().contains("RFC 2046"), "{e}");
    assert!(multipart_parts(entity("x").as_bytes(), "").is_err());
}

#[test]
fn multipart_parts_are_cut_exactly() {
    let e = b"Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\npreamble\r\n--XX\r\nContent-Type: text/plain\r\n\r\none\r\n\r\n--XX\r\n\r\ntwo\r\n--XXY\r\nnot a boundary\r\n--XX--\r\nepilogue";
    let parts = multipart_parts(e, "XX").unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0], b"Content-Type: text/plain\r\n\r\none\r\n");
    assert_eq!(parts[1], b"\r\ntwo\r\n--XXY\r\nnot a boundary");
    assert!(
        multipart_parts(
            b"Content-Type: multipart/mixed\r\n\r\n--XX\r\n\r\nx\r\n",
            "XX"
        )
        .is_err()
    );
}

#[test]
fn eight_bit_leaves_are_base64_encoded_and_the_rest_kept() {
    let e = "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGrüße\r\n--b\r\nContent-Type: text/plain\r\n\r\nascii\r\n--b--\r\n";
    let c = canonicalize(e.as_bytes()).unwrap().into_owned();
    let text = String::from_utf8(c.clone()).unwrap();
    assert!(
        text.contains("Content-Transfer-Encoding: base64\r\n\r\nR3LDvMOfZQ==\r\n"),
        "{text}"
    );
    assert!(!text.contains("8bit"));
    assert!(text.contains("--b\r\nContent-Type: text/plain\r\n\r\nascii\r\n"));
    let parts = multipart_parts(&c, "b").unwrap();
    assert_eq!(decoded_body(parts[0]).unwrap(), "Grüße".as_bytes());
    // Preamble and epilogue survive the rebuild.
    let with = e
        .replace(
            "\r\n\r\n--b\r\n",
            "\r\n\r\nThis is a multi-part message in MIME format.\r\n--b\r\n",
        )
        .replacen("--b--\r\n", "--b--\r\nepilogue\r\n", 1);
    let c = String::from_utf8(canonicalize(with.as_bytes()).unwrap().into_owned()).unwrap();
    assert!(
        c.contains("\r\n\r\nThis is a multi-part message in MIME format.\r\n--b\r\n"),
        "{c}"
    );
    assert!(c.ends_with("--b--\r\nepilogue\r\n"), "{c}");
    // Already 7-bit: unchanged.
    let plain = b"Content-Type: text/plain\r\n\r\nhello\r\n";
    assert_eq!(&*canonicalize(plain).unwrap(), &plain[..]);
}

#[test]
fn smime_file_names_and_cms_content_types_are_recognised() {
    let t =
        entity_type(b"Content-Type: application/octet-stream; name=\"SMIME.P7M\"\r\n\r\n").unwrap();
    assert_eq!(t.smime_extension(), Some("p7m"));
    assert!(t.is_named_smime(&["p7m"]) && !t.is_named_smime(&["p7s"]));
    // Content-Disposition's filename counts (and wins over the name parameter).
    let t = entity_type(
            b"Content-Type: application/octet-stream; name=x.bin\r\nContent-Disposition: attachment;\r\n filename=\"smime.p7s\"\r\n\r\n",
        ).unwrap();
    assert_eq!(t.smime_extension(), Some("p7s"));
    // Not generic binary, or not an S/MIME name.
    let t = entity_type(b"Content-Type: text/plain; name=smime.p7m\r\n\r\n").unwrap();
    assert!(!t.is_named_smime(&["p7m"]));
    let t = entity_type(b"Content-Type: application/octet-stream; name=p7m\r\n\r\n").unwrap();
    assert_eq!(t.smime_extension(), None);

    let signed = [
        0x30, 0x80, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02,
    ];
    assert_eq!(cms_kind(&signed), CmsKind::Signed);
    let mut enveloped = vec![0x30, 0x82, 0x01, 0x00, 0x06, 0x09];
    enveloped.extend_from_slice(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03]);
    assert_eq!(cms_kind(&enveloped), CmsKind::Enveloped);
    let mut auth = vec![0x30, 0x20, 0x06, 0x0b];
    auth.extend_from_slice(&[
        0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x17,
    ]);
    assert_eq!(cms_kind(&auth), CmsKind::AuthEnveloped);
    for junk in [
        &b""[..],
        b"\x30",
        b"\x30\x03\x06\x05\x2a",
        b"AAAA",
        b"\x30\xff",
    ] {
        assert_eq!(cms_kind(junk), CmsKind::Other, "{junk:?}");
    }
}

#[test]
fn wrappers_parse_back() {
    let signed =
        multipart_signed(b"Content-Type: text/plain\r\n\r\nhi", &[1, 2, 3], "sha-256").unwrap();
    let t = entity_type(&signed).unwrap();
    assert!(is_multipart_signed(&t));
    let parts = multipart_parts(&signed, t.boundary.as_deref().unwrap()).unwrap();
    assert_eq!(parts[0], b"Content-Type: text/plain\r\n\r\nhi");
    assert_eq!(decoded_body(parts[1]).unwrap(), [1, 2, 3]);
    let p7 = pkcs7_mime(&[9; 100], "enveloped-data");
    assert_eq!(decoded_body(&p7).unwrap(), [9; 100]);
    assert_eq!(
        entity_type(&p7).unwrap().smime_type.as_deref(),
        Some("enveloped-data")
    );
}

fn limit_message(e: Error) -> String {
    assert!(matches!(e, Error::LimitExceeded(_)), "not a limit: {e:?}");
    e.to_string()
}

/// `n` numbered RFC 2231 parameters (`a0*1=x; a1*1=x; ...`), the shape whose continuation
/// merging in the MIME parser is quadratic.
fn numbered_parameters(n: usize) -> String {
    (0..n).map(|i| format!("; a{i}*1=x")).collect()
}

#[test]
fn numbered_rfc2231_parameters_are_refused_before_the_mime_parser() {
    let flood = numbered_parameters(MAX_PARAMETERS + 1);
    let ct = format!("Content-Type: multipart/signed{flood}; boundary=b\r\n\r\n--b--\r\n");
    let e = entity_type(ct.as_bytes()).unwrap_err();
    assert!(limit_message(e).contains("too many parameters"));
    let cd = format!("Content-Type: text/plain\r\nContent-Disposition: attachment{flood}\r\n\r\nx");
    let e = entity_type(cd.as_bytes()).unwrap_err();
    assert!(limit_message(e).contains("Content-Disposition header field has too many"));
    // Through the public entry point, with a whole message of them.
    let m = format!(
        "From: a@example.com\r\nContent-Type: application/pkcs7-mime{}\r\n\r\nAAAA\r\n",
        numbered_parameters(10_000)
    );
    let e = crate::smime::verify_message(m.as_bytes(), &[]).unwrap_err();
    assert!(limit_message(e).contains("too many parameters"));
    // At the limit: read.
    let ok = format!(
        "Content-Type: text/plain{}\r\n\r\nx",
        numbered_parameters(MAX_PARAMETERS)
    );
    assert_eq!(entity_type(ok.as_bytes()).unwrap().mime_type, "text/plain");
}

#[test]
fn long_content_fields_are_refused_and_other_fields_never_reach_the_parser() {
    let name = "n".repeat(MAX_CONTENT_FIELD);
    let e = entity_type(
        format!("Content-Type: application/octet-stream; name=\"{name}\"\r\n\r\n").as_bytes(),
    )
    .unwrap_err();
    assert!(limit_message(e).contains("Content-Type header field is longer than 8192"));
    let e = entity_type(
        format!("Content-Transfer-Encoding: {name}\r\nContent-Type: text/plain\r\n\r\n").as_bytes(),
    )
    .unwrap_err();
    assert!(limit_message(e).contains("Content-Transfer-Encoding"));
    // A long field of another name is not a Content-* field: not read, not refused.
    let t = entity_type(
        format!(
            "X-Long: {name}{}\r\nContent-Type: text/html\r\n\r\n",
            numbered_parameters(500)
        )
        .as_bytes(),
    )
    .unwrap();
    assert_eq!(t.mime_type, "text/html");
}

#[test]
fn header_blocks_are_bounded_in_size_and_field_count() {
    let many: String = (0..=MAX_HEADER_FIELDS)
        .map(|i| format!("X-F{i}: v\r\n"))
        .collect();
    let Err(e) = split_message(format!("{many}\r\nbody").as_bytes()) else {
        panic!("read");
    };
    assert!(limit_message(e).contains("more than 1000 header fields"));
    let e = entity_type(format!("{many}\r\nbody").as_bytes()).unwrap_err();
    assert!(limit_message(e).contains("more than 1000 header fields"));
    // Continuation lines belong to their field.
    let folded: String = (0..MAX_HEADER_FIELDS * 2).map(|_| " more\r\n").collect();
    let s = split_message(format!("Subject: x\r\n{folded}\r\nbody").as_bytes()).unwrap();
    assert!(s.outer.starts_with(b"Subject: x\r\n more\r\n"));
    let big = format!("Subject: {}\r\n\r\nbody", "s".repeat(MAX_HEADER_BLOCK));
    let Err(e) = split_message(big.as_bytes()) else {
        panic!("read");
    };
    assert!(limit_message(e).contains("larger than 262144 bytes"));
}

#[test]
fn multipart_entities_are_bounded_in_parts_and_depth() {
    let mut e = String::from("Content-Type: multipart/mixed; boundary=b\r\n\r\n");
    for _ in 0..=MAX_PARTS {
        e.push_str("--b\r\n\r\nx\r\n");
    }
    e.push_str("--b--\r\n");
    let err = multipart_parts(e.as_bytes(), "b").unwrap_err();
    assert!(limit_message(err).contains("more than 1000 parts"));
    // Exactly MAX_PARTS parts are read.
    let at_limit = e.replacen("--b\r\n\r\nx\r\n", "", 1);
    assert_eq!(
        multipart_parts(at_limit.as_bytes(), "b").unwrap().len(),
        MAX_PARTS
    );

    // Nesting: MAX_DEPTH + 2 levels of multipart/mixed.
    let mut nested = String::from("Content-Type: text/plain\r\n\r\nleaf\r\n");
    for level in 0..MAX_DEPTH + 2 {
        nested = format!(
            "Content-Type: multipart/mixed; boundary=\"l{level}\"\r\n\r\n--l{level}\r\n{nested}\r\n--l{level}--\r\n"
        );
    }
    let err = canonicalize(nested.as_bytes()).unwrap_err();
    assert!(limit_message(err).contains("nested more than 32 deep"));
}

#[test]
fn quoted_printable_bodies_are_decoded_without_the_other_header_fields() {
    let e = b"Content-Type: application/pkcs7-signature\r\nContent-Transfer-Encoding: quoted-printable\r\nX-Other: y\r\n\r\na=3Db=\r\nc\r\n";
    assert_eq!(decoded_body(e).unwrap(), b"a=bc\r\n");
    let e = b"Content-Type: text/plain\r\nContent-Transfer-Encoding: \"x\r\n y\"\r\n\r\nbody";
    assert!(decoded_body(e).is_err());
}

/// `is_crlf` and `needs_encoding` (memchr and chunked scans) answer as the byte-at-a-time
/// definitions do, on inputs built around the cases: line ends at the edges, CR CR LF, NUL,
/// 8-bit bytes at chunk boundaries, lines of exactly 999 and 1000 bytes.
#[test]
fn fast_scans_match_their_definitions() {
    fn is_crlf_reference(input: &[u8]) -> bool {
        let mut prev = 0u8;
        for (i, &b) in input.iter().enumerate() {
            match b {
                b'\n' if prev != b'\r' => return false,
                b'\r' if input.get(i + 1) != Some(&b'\n') => return false,
                _ => {}
            }
            prev = b;
        }
        true
    }
    fn needs_encoding_reference(body: &[u8]) -> bool {
        body.iter().any(|b| *b >= 0x80 || *b == 0)
            || body.split(|b| *b == b'\n').any(|line| line.len() > 999)
    }
    let mut inputs: Vec<Vec<u8>> = vec![
        vec![],
        b"\r".to_vec(),
        b"\n".to_vec(),
        b"\r\n".to_vec(),
        b"a\r\nb\r\n".to_vec(),
        b"a\r\r\nb".to_vec(),
        b"a\nb\r\n".to_vec(),
        b"a\r\nb\r".to_vec(),
        b"\r\na\r\n\n".to_vec(),
    ];
    for len in [998, 999, 1000, 1001] {
        let line = vec![b'x'; len];
        inputs.push(line.clone());
        inputs.push([&line[..], b"\r\n"].concat());
        inputs.push([&b"ab\r\n"[..], &line, b"\r\nok\r\n"].concat());
        inputs.push([&b"ab\n"[..], &line].concat());
    }
    for at in [0, 1, 62, 63, 64, 65, 127, 128, 200] {
        for byte in [0u8, 0x80, 0xFF, b'\r', b'\n'] {
            let mut v = b"line one\r\n".repeat(25);
            if let Some(b) = v.get_mut(at) {
                *b = byte;
            }
            inputs.push(v);
        }
    }
    for input in &inputs {
        assert_eq!(is_crlf(input), is_crlf_reference(input), "{input:?}");
        assert_eq!(
            needs_encoding(input),
            needs_encoding_reference(input),
            "{input:?}"
        );
    }
}
