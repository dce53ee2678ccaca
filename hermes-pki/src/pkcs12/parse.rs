//! Reading PKCS#12: PFX → MAC check → AuthenticatedSafe → (encrypted) SafeContents → bags.

use crate::key::pbes2::KdfBudget;
use der::asn1::ObjectIdentifier as Oid;
use zeroize::Zeroizing;

use super::asn1::{
    self, Reader, TAG_BMP_STRING, TAG_CONTEXT_0, TAG_CONTEXT_0_PRIMITIVE, TAG_INTEGER,
    TAG_OCTET_STRING, TAG_SEQUENCE, TAG_SET, TAG_UTF8_STRING, WHAT, malformed,
};
use super::crypto::{self, MacData};
use super::oids;
use super::{Pkcs12Contents, Pkcs12Limits};
use crate::ber::{BerLimits, to_der_secret};
use crate::cert::{Certificate, Sha256Thumbprint};
use crate::error::{Error, Result};
use crate::key::PrivateKey;
use crate::tlv;

/// How deeply `safeContentsBag`s may nest.
const MAX_BAG_NESTING: usize = 4;

/// The attributes of a bag this library uses.
#[derive(Debug, Default, Clone)]
struct BagAttributes {
    friendly_name: Option<String>,
    local_key_id: Option<Vec<u8>>,
}

struct Ctx<'a> {
    password: &'a str,
    /// The KDF encodings of the password to try for the PKCS#12 PBEs: the one that verified the
    /// MAC, or every candidate for a file without MAC.
    candidates: Vec<Zeroizing<Vec<u8>>>,
    limits: &'a Pkcs12Limits,
    bags: usize,
    decryptions: usize,
    /// Every key derivation of the file is charged here.
    budget: &'a KdfBudget,
    keys: Vec<(PrivateKey, BagAttributes)>,
    certs: Vec<(Certificate, BagAttributes)>,
}

pub(super) fn import(
    input: &[u8],
    password: &str,
    limits: &Pkcs12Limits,
) -> Result<Pkcs12Contents> {
    if input.is_empty() {
        return Err(Error::Empty {
            what: "PKCS#12 data",
        });
    }
    if input.len() > limits.max_input_len {
        return Err(Error::LimitExceeded(format!(
            "the PKCS#12 file is {} bytes, above the limit of {} bytes",
            input.len(),
            limits.max_input_len
        )));
    }
    let der = to_der_secret(input, WHAT, &BerLimits::default())?;
    let pfx = asn1::single(&der, TAG_SEQUENCE, "PFX")?;
    let mut r = Reader::new(pfx.value);
    let version = asn1::integer_u64(r.expect(TAG_INTEGER, "PFX version")?.value, "PFX version")?;
    if version != 3 {
        return Err(Error::unsupported(
            "PKCS#12 version",
            format!("{version}; supported is version 3"),
        ));
    }
    let auth_safe = r.expect(TAG_SEQUENCE, "authSafe")?;
    let mac = r.optional(TAG_SEQUENCE)?;
    r.finish("PFX")?;

    let (content_type, content) = content_info(auth_safe.value)?;
    if content_type != oids::DATA {
        return Err(if content_type == oids::SIGNED_DATA {
            Error::unsupported(
                "PKCS#12 integrity mode",
                "public-key integrity (signedData); supported is password integrity (MAC)",
            )
        } else {
            Error::unsupported("PKCS#12 authSafe content", content_type.to_string())
        });
    }
    let auth_bytes = data_octets(content)?;

    // The MAC is checked before anything inside the file is decrypted or used. Every key
    // derivation of the file is charged against one budget.
    let budget = KdfBudget::new(limits.max_kdf_work);
    let mut candidates = crypto::password_candidates(password);
    let mac_verified = match mac {
        Some(mac) => {
            let mac = MacData::parse(mac.value, &limits.kdf)?;
            let mut matched = None;
            for (i, c) in candidates.iter().enumerate() {
                budget.charge(mac.iterations.unsigned_abs().into())?;
                if mac.verify(c, auth_bytes)? {
                    matched = Some(i);
                    break;
                }
            }
            let i = matched.ok_or(Error::BadPassword)?;
            candidates = vec![candidates.swap_remove(i)];
            true
        }
        None => false,
    };

    let mut ctx = Ctx {
        password,
        candidates,
        limits,
        bags: 0,
        decryptions: 0,
        budget: &budget,
        keys: Vec::new(),
        certs: Vec::new(),
    };
    let auth = to_der_secret(auth_bytes, WHAT, &BerLimits::default())?;
    let seq = asn1::single(&auth, TAG_SEQUENCE, "AuthenticatedSafe")?;
    let mut items = Reader::new(seq.value);
    while !items.is_empty() {
        let item = items.expect(TAG_SEQUENCE, "AuthenticatedSafe ContentInfo")?;
        ctx.count_bag()?;
        let (ty, content) = content_info(item.value)?;
        if ty == oids::DATA {
            ctx.safe_contents(data_octets(content)?, 0)?;
        } else if ty == oids::ENCRYPTED_DATA {
            let plain = ctx.encrypted_data(content)?;
            ctx.safe_contents(&plain, 0)?;
        } else if ty == oids::ENVELOPED_DATA {
            return Err(Error::unsupported(
                "PKCS#12 privacy mode",
                "public-key privacy (envelopedData); supported is password privacy",
            ));
        } else {
            return Err(Error::unsupported(
                "PKCS#12 content type",
                format!("{ty}; supported are data and encryptedData"),
            ));
        }
    }
    assemble(ctx, mac_verified)
}

/// `ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT ANY OPTIONAL }`: the type
/// and the encoding of the content (empty when absent).
fn content_info(value: &[u8]) -> Result<(Oid, &[u8])> {
    let mut r = Reader::new(value);
    let ty = asn1::read_oid(&mut r, "ContentInfo type")?;
    let content = r
        .optional(TAG_CONTEXT_0)?
        .map(|t| t.value)
        .unwrap_or_default();
    r.finish("ContentInfo")?;
    Ok((ty, content))
}

/// The bytes of a `data` content: one OCTET STRING.
fn data_octets(content: &[u8]) -> Result<&[u8]> {
    if content.is_empty() {
        return Err(malformed("data ContentInfo without content"));
    }
    Ok(asn1::single(content, TAG_OCTET_STRING, "data content")?.value)
}

impl Ctx<'_> {
    fn count_bag(&mut self) -> Result<()> {
        self.bags += 1;
        if self.bags > self.limits.max_bags {
            return Err(Error::LimitExceeded(format!(
                "the PKCS#12 file has more than {} bags",
                self.limits.max_bags
            )));
        }
        Ok(())
    }

    fn decrypt(&mut self, alg_der: &[u8], data: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        self.decryptions += 1;
        if self.decryptions > self.limits.max_decryptions {
            return Err(Error::LimitExceeded(format!(
                "the PKCS#12 file has more than {} encrypted items",
                self.limits.max_decryptions
            )));
        }
        crypto::decrypt(
            alg_der,
            data,
            self.password,
            &self.candidates,
            &self.limits.kdf,
            self.budget,
        )
    }

    /// Decrypts an `EncryptedData` content to the SafeContents encoding inside.
    fn encrypted_data(&mut self, content: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let ed = asn1::single(content, TAG_SEQUENCE, "EncryptedData")?;
        let mut r = Reader::new(ed.value);
        r.expect(TAG_INTEGER, "EncryptedData version")?;
        let eci = r.expect(TAG_SEQUENCE, "EncryptedContentInfo")?;
        // unprotectedAttrs [1] may follow; not used.
        let mut e = Reader::new(eci.value);
        let inner_type = asn1::read_oid(&mut e, "encrypted content type")?;
        if inner_type != oids::DATA {
            return Err(malformed(format!(
                "encrypted content of type {inner_type}, expected data"
            )));
        }
        let alg = e.expect(TAG_SEQUENCE, "content encryption algorithm")?;
        let alg_der = tlv::sequence(&[alg.value]);
        let encrypted = e.next().map_err(|_| {
            Error::unsupported(
                "PKCS#12 EncryptedData",
                "without encrypted content (detached content)",
            )
        })?;
        e.finish("EncryptedContentInfo")?;
        let joined;
        let ciphertext: &[u8] = match encrypted.tag {
            TAG_CONTEXT_0_PRIMITIVE => encrypted.value,
            // BER: [0] IMPLICIT OCTET STRING in constructed form, i.e. segments.
            TAG_CONTEXT_0 => {
                let mut seg = Reader::new(encrypted.value);
                let mut all = Vec::new();
                while !seg.is_empty() {
                    all.extend_from_slice(seg.expect(TAG_OCTET_STRING, "encrypted segment")?.value);
                }
                joined = all;
                &joined
            }
            other => {
                return Err(malformed(format!(
                    "encrypted content has tag 0x{other:02X}, expected [0]"
                )));
            }
        };
        self.decrypt(&alg_der, ciphertext)
    }

    /// Reads the bags of a `SafeContents` encoding.
    fn safe_contents(&mut self, bytes: &[u8], depth: usize) -> Result<()> {
        if depth > MAX_BAG_NESTING {
            return Err(malformed("safeContentsBags nested too deeply"));
        }
        // Key bags may sit here in the clear: the normalised copy is wiped when dropped.
        let der = to_der_secret(bytes, WHAT, &BerLimits::default())?;
        let seq = asn1::single(&der, TAG_SEQUENCE, "SafeContents")?;
        let mut bags = Reader::new(seq.value);
        while !bags.is_empty() {
            let bag = bags.expect(TAG_SEQUENCE, "SafeBag")?;
            self.count_bag()?;
            self.safe_bag(bag.value, depth)?;
        }
        Ok(())
    }

    fn safe_bag(&mut self, value: &[u8], depth: usize) -> Result<()> {
        let mut r = Reader::new(value);
        let bag_id = asn1::read_oid(&mut r, "bag type")?;
        let bag_value = r.expect(TAG_CONTEXT_0, "bag value")?.value;
        let attrs = match r.optional(TAG_SET)? {
            Some(set) => attributes(set.value)?,
            None => BagAttributes::default(),
        };
        r.finish("SafeBag")?;
        match bag_id {
            oids::KEY_BAG => {
                let pki = asn1::single(bag_value, TAG_SEQUENCE, "keyBag")?;
                let der = Zeroizing::new(tlv::sequence(&[pki.value]));
                let key = PrivateKey::from_pkcs8_der(&der)?;
                self.keys.push((key, attrs));
            }
            oids::SHROUDED_KEY_BAG => {
                let epki = asn1::single(bag_value, TAG_SEQUENCE, "pkcs8ShroudedKeyBag")?;
                let mut e = Reader::new(epki.value);
                let alg = e.expect(TAG_SEQUENCE, "key encryption algorithm")?;
                let data = e.expect(TAG_OCTET_STRING, "encrypted key")?.value;
                e.finish("EncryptedPrivateKeyInfo")?;
                let plain = self.decrypt(&tlv::sequence(&[alg.value]), data)?;
                let key = PrivateKey::from_pkcs8_der(&plain).map_err(|e| match e {
                    Error::Unsupported { .. } | Error::Weak(_) => e,
                    // A "successful" decryption with a wrong key yields garbage.
                    _ => Error::BadPassword,
                })?;
                self.keys.push((key, attrs));
            }
            oids::CERT_BAG => {
                let cb = asn1::single(bag_value, TAG_SEQUENCE, "certBag")?;
                let mut c = Reader::new(cb.value);
                let cert_type = asn1::read_oid(&mut c, "certificate type")?;
                let cert_value = c.expect(TAG_CONTEXT_0, "certificate value")?.value;
                c.finish("CertBag")?;
                if cert_type == oids::X509_CERTIFICATE {
                    let der = asn1::single(cert_value, TAG_OCTET_STRING, "certificate")?.value;
                    self.certs.push((Certificate::from_der(der)?, attrs));
                }
                // SDSI certificates: ignored.
            }
            oids::SAFE_CONTENTS_BAG => self.safe_contents(bag_value, depth + 1)?,
            // crlBag, secretBag and unknown bags: not used.
            _ => {}
        }
        Ok(())
    }
}

/// Reads friendlyName and localKeyId from a bag's `SET OF Attribute` contents.
fn attributes(set: &[u8]) -> Result<BagAttributes> {
    let mut out = BagAttributes::default();
    let mut r = Reader::new(set);
    while !r.is_empty() {
        let attr = r.expect(TAG_SEQUENCE, "bag attribute")?;
        let mut a = Reader::new(attr.value);
        let ty = asn1::read_oid(&mut a, "bag attribute type")?;
        let values = a.expect(TAG_SET, "bag attribute values")?;
        a.finish("bag attribute")?;
        let mut v = Reader::new(values.value);
        if v.is_empty() {
            continue;
        }
        let first = v.next()?;
        if ty == oids::FRIENDLY_NAME && out.friendly_name.is_none() {
            out.friendly_name = match first.tag {
                TAG_BMP_STRING => Some(decode_bmp(first.value)?),
                TAG_UTF8_STRING => Some(
                    String::from_utf8(first.value.to_vec())
                        .map_err(|_| malformed("friendlyName is not UTF-8"))?,
                ),
                _ => None,
            };
        } else if ty == oids::LOCAL_KEY_ID
            && out.local_key_id.is_none()
            && first.tag == TAG_OCTET_STRING
        {
            out.local_key_id = Some(first.value.to_vec());
        }
    }
    Ok(out)
}

/// Decodes a BMPString (UTF-16BE; surrogate pairs accepted as OpenSSL writes them).
fn decode_bmp(bytes: &[u8]) -> Result<String> {
    if !bytes.len().is_multiple_of(2) {
        return Err(malformed("friendlyName BMPString has an odd length"));
    }
    let units = bytes
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]));
    let s: String = char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    Ok(s.trim_end_matches('\0').to_owned())
}

/// Pairs the first key that has a certificate with it; everything else goes to the chain.
fn assemble(ctx: Ctx<'_>, mac_verified: bool) -> Result<Pkcs12Contents> {
    let mut certs: Vec<(Certificate, BagAttributes)> = Vec::new();
    let mut seen = std::collections::HashSet::<Sha256Thumbprint>::new();
    for (cert, attrs) in ctx.certs {
        if seen.insert(*cert.sha256()) {
            certs.push((cert, attrs));
        } else if let Some(existing) = certs.iter_mut().find(|(c, _)| c.sha256() == cert.sha256()) {
            // Keep the attributes of a duplicate if the first copy had none.
            let e = &mut existing.1;
            if e.local_key_id.is_none() {
                e.local_key_id = attrs.local_key_id;
            }
            if e.friendly_name.is_none() {
                e.friendly_name = attrs.friendly_name;
            }
        }
    }
    let key_count = ctx.keys.len();
    if key_count == 0 {
        return Ok(Pkcs12Contents {
            key: None,
            certificate: None,
            chain: certs.into_iter().map(|(c, _)| c).collect(),
            friendly_name: None,
            mac_verified,
            ignored_keys: 0,
        });
    }
    for (key, key_attrs) in ctx.keys {
        let matching: Vec<usize> = certs
            .iter()
            .enumerate()
            .filter(|(_, (c, _))| key.matches(c))
            .map(|(i, _)| i)
            .collect();
        // Several certificates for one key (a renewal with the same key): the one the file
        // links to the key by localKeyId, else the first.
        let pick = matching
            .iter()
            .copied()
            .find(|i| {
                key_attrs.local_key_id.is_some()
                    && certs.get(*i).and_then(|(_, a)| a.local_key_id.as_ref())
                        == key_attrs.local_key_id.as_ref()
            })
            .or_else(|| matching.first().copied());
        if let Some(i) = pick {
            let (cert, cert_attrs) = certs.remove(i);
            return Ok(Pkcs12Contents {
                friendly_name: key_attrs.friendly_name.or(cert_attrs.friendly_name),
                key: Some(key),
                certificate: Some(cert),
                chain: certs.into_iter().map(|(c, _)| c).collect(),
                mac_verified,
                ignored_keys: key_count - 1,
            });
        }
    }
    Err(Error::KeyMismatch)
}
