//! S/MIME on whole messages: the MIME layer (canonical form, outer headers kept, the
//! `multipart/signed` and `application/pkcs7-mime` forms) over CMS.

use std::time::SystemTime;

use zeroize::Zeroizing;

use super::envelope::{
    ContentCipher, DecryptOptions, Decrypted, EncryptOptions, RecipientId, RecipientKeys,
    decrypt_data, encrypt_data,
};
use super::mime::{
    self, decoded_body, entity_type, is_multipart_signed, is_pkcs7_mime, join, micalg,
    multipart_parts, multipart_signed, pkcs7_mime, split_message,
};
use super::signed::{SignOptions, SignedContent, SmimeCapability, sign_data, verify_data};
use crate::cert::Certificate;
use crate::error::{Error, Result};
use crate::key::{Decryptor, Signer};
use crate::store::{ReadTransaction, Store, StoreExt};
use crate::trust::{LeafPolicy, Validation, ValidationOptions, Validator};

/// How a message is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignatureForm {
    /// `multipart/signed` with an `application/pkcs7-signature` part: readable by clients
    /// without S/MIME (the default).
    #[default]
    Detached,
    /// `application/pkcs7-mime; smime-type=signed-data`: the content inside the CMS.
    Opaque,
}

/// Signs `message` (an RFC 5322 message or a bare MIME entity): its outer header fields
/// (From, To, Subject, ...) stay outside; the MIME entity is canonicalised (CRLF line ends,
/// 8-bit parts re-encoded as base64) and signed in the given form.
pub fn sign_message(
    message: &[u8],
    signer: &Certificate,
    chain: &[Certificate],
    key: &dyn Signer,
    form: SignatureForm,
    options: &SignOptions,
) -> Result<Vec<u8>> {
    let split = split_message(message)?;
    let entity = mime::canonicalize(&split.entity)?;
    let signed_entity = match form {
        SignatureForm::Detached => {
            let der = sign_data(&entity, signer, chain, key, true, options)?;
            multipart_signed(&entity, &der, micalg(options.digest_for(&key.algorithm())))?
        }
        SignatureForm::Opaque => {
            let der = sign_data(&entity, signer, chain, key, false, options)?;
            pkcs7_mime(&der, "signed-data")
        }
    };
    Ok(join(&split.outer, &signed_entity))
}

/// A verified signed message (signatures checked; no trust decision).
#[derive(Debug, Clone)]
pub struct VerifiedMessage {
    /// The signed entity exactly as it was signed.
    pub inner: Vec<u8>,
    /// The outer header fields with the signed entity: the message as it reads unsigned.
    pub message: Vec<u8>,
    /// The form it was signed in.
    pub form: SignatureForm,
    /// What CMS verification found: each signer, the certificates carried.
    pub signed: SignedContent,
}

/// Verifies a signed message of either form. `extra_certs` are searched for signer
/// certificates that the message does not carry.
///
/// Errors: [`Error::Malformed`] when the message is not a signed S/MIME message or its parts
/// do not parse. A signature that does not verify is not an error: it is the signer's status.
pub fn verify_message(message: &[u8], extra_certs: &[Certificate]) -> Result<VerifiedMessage> {
    let split = split_message(message)?;
    let t = entity_type(&split.entity);
    if is_multipart_signed(&t) {
        let boundary = t.boundary.as_deref().ok_or_else(|| {
            Error::malformed("S/MIME message", "multipart/signed without a boundary")
        })?;
        let parts = multipart_parts(&split.entity, boundary)?;
        let [content, signature] = parts.as_slice() else {
            return Err(Error::malformed(
                "S/MIME message",
                format!("multipart/signed has {} parts instead of 2", parts.len()),
            ));
        };
        let sig_type = entity_type(signature);
        if !sig_type.mime_type.ends_with("pkcs7-signature") {
            return Err(Error::malformed(
                "S/MIME message",
                format!(
                    "the signature part is {} (expected application/pkcs7-signature)",
                    sig_type.mime_type
                ),
            ));
        }
        let der = decoded_body(signature)?;
        let signed = verify_data(&der, Some(content), extra_certs)?;
        let inner = content.to_vec();
        return Ok(VerifiedMessage {
            message: join(&split.outer, &inner),
            inner,
            form: SignatureForm::Detached,
            signed,
        });
    }
    if is_pkcs7_mime(&t) && t.smime_type.as_deref() != Some("enveloped-data") {
        let der = decoded_body(&split.entity)?;
        let signed = verify_data(&der, None, extra_certs)?;
        let inner = signed.content.clone();
        return Ok(VerifiedMessage {
            message: join(&split.outer, &inner),
            inner,
            form: SignatureForm::Opaque,
            signed,
        });
    }
    Err(Error::malformed(
        "S/MIME message",
        format!("it is not signed (its type is {})", t.mime_type),
    ))
}

/// Encrypts `message` to exactly `recipients`: the outer header fields stay, the MIME entity
/// (in CRLF form) is encrypted into `application/pkcs7-mime; smime-type=enveloped-data`
/// (`authEnveloped-data` for AES-GCM, RFC 8551 3.4).
pub fn encrypt_message(
    message: &[u8],
    recipients: &[Certificate],
    options: &EncryptOptions,
) -> Result<Vec<u8>> {
    if recipients.is_empty() {
        return Err(Error::InvalidArgument(
            "encrypting needs at least one recipient certificate".into(),
        ));
    }
    let split = split_message(message)?;
    let der = encrypt_data(&split.entity, recipients, options)?;
    let smime_type = if options.content_cipher().is_authenticated() {
        "authEnveloped-data"
    } else {
        "enveloped-data"
    };
    Ok(join(&split.outer, &pkcs7_mime(&der, smime_type)))
}

/// A decrypted message.
pub struct DecryptedMessage {
    /// The decrypted entity (wiped when dropped).
    pub inner: Zeroizing<Vec<u8>>,
    /// The outer header fields with the decrypted entity (wiped when dropped).
    pub message: Zeroizing<Vec<u8>>,
    /// Which recipient's key opened it.
    pub recipient: RecipientId,
    /// The content cipher, readable.
    pub cipher: String,
    /// Whether the content was authenticated (AuthEnvelopedData).
    pub authenticated: bool,
    /// Weak algorithms met (read, but reported).
    pub weak: Vec<String>,
}

impl std::fmt::Debug for DecryptedMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecryptedMessage")
            .field("recipient", &self.recipient)
            .field("cipher", &self.cipher)
            .field("authenticated", &self.authenticated)
            .field("weak", &self.weak)
            .finish_non_exhaustive()
    }
}

/// Decrypts an encrypted message with the key `keys` has for one of its recipients.
pub fn decrypt_message(
    message: &[u8],
    keys: &dyn RecipientKeys,
    options: &DecryptOptions,
) -> Result<DecryptedMessage> {
    let split = split_message(message)?;
    let t = entity_type(&split.entity);
    if !is_pkcs7_mime(&t) || matches!(t.smime_type.as_deref(), Some("signed-data" | "certs-only")) {
        return Err(Error::malformed(
            "S/MIME message",
            format!("it is not encrypted (its type is {})", t.mime_type),
        ));
    }
    let der = decoded_body(&split.entity)?;
    let Decrypted {
        content,
        recipient,
        cipher,
        authenticated,
        weak,
    } = decrypt_data(&der, keys, options)?;
    // The entity as it was encrypted (a binary entity keeps its bytes).
    let inner = Zeroizing::new(content.to_vec());
    let message = Zeroizing::new(join(&split.outer, &inner));
    Ok(DecryptedMessage {
        inner,
        message,
        recipient,
        cipher,
        authenticated,
        weak,
    })
}

/// The keys of a store's certificates, found by issuer and serial or subject key identifier.
pub struct StoreKeys<'t> {
    tx: &'t dyn ReadTransaction,
}

impl<'t> StoreKeys<'t> {
    /// The keys in the store `tx` reads.
    pub fn new(tx: &'t dyn ReadTransaction) -> Self {
        StoreKeys { tx }
    }
}

impl RecipientKeys for StoreKeys<'_> {
    fn key_for(&self, id: &RecipientId) -> Result<Option<Box<dyn Decryptor>>> {
        let certs = match id {
            RecipientId::IssuerSerial { issuer_der, serial } => self
                .tx
                .certificate_by_issuer_serial(issuer_der, serial)?
                .into_iter()
                .collect(),
            RecipientId::SubjectKeyId(ski) => self.tx.certificates_by_subject_key_id(ski)?,
        };
        for c in certs {
            if let Some(k) = self.tx.key_for_certificate(c.thumbprint())? {
                return Ok(Some(Box::new(k)));
            }
        }
        Ok(None)
    }
}

/// A signer of a verified message with the trust engine's verdict on its certificate.
#[derive(Debug, Clone)]
pub struct SignerVerdict {
    /// The signer certificate, when the message or the store has it.
    pub certificate: Option<Certificate>,
    /// Whether the signature itself verified.
    pub signature_valid: bool,
    /// The trust engine's result for the S/MIME signing policy at the validation time;
    /// `None` when there is no certificate to validate.
    pub validation: Option<Validation>,
}

impl SignerVerdict {
    /// Signature valid and certificate valid.
    pub fn is_valid(&self) -> bool {
        self.signature_valid && self.validation.as_ref().is_some_and(Validation::is_valid)
    }
}

/// A verified message with a trust verdict per signer.
#[derive(Debug, Clone)]
pub struct Verification {
    /// What was verified.
    pub message: VerifiedMessage,
    /// One verdict per SignerInfo, in order.
    pub signers: Vec<SignerVerdict>,
}

impl Verification {
    /// At least one signer, and every signer valid.
    pub fn is_valid(&self) -> bool {
        !self.signers.is_empty() && self.signers.iter().all(SignerVerdict::is_valid)
    }
}

/// S/MIME over a store: signing keys and decryption keys come from the store, signer
/// certificates are validated by the trust engine over the store (trust anchors, trust list,
/// CRLs), and the certificates a signed message carries are offered to chain building.
pub struct Smime<'s, S: Store + ?Sized> {
    store: &'s S,
}

impl<S: Store + ?Sized> std::fmt::Debug for Smime<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Smime").finish_non_exhaustive()
    }
}

impl<'s, S: Store + ?Sized> Smime<'s, S> {
    /// S/MIME over `store`.
    pub fn new(store: &'s S) -> Self {
        Smime { store }
    }

    /// Signs with `signer`'s key from the store; the chain (without a self-signed root) is
    /// included when the trust engine finds one at the signing time.
    ///
    /// Errors: [`Error::NotFound`] when the store has no key for `signer`.
    pub fn sign(
        &self,
        message: &[u8],
        signer: &Certificate,
        form: SignatureForm,
        options: &SignOptions,
    ) -> Result<Vec<u8>> {
        let (key, chain) = self.store.read_transaction(|tx| {
            let key = tx
                .key_for_certificate(signer.thumbprint())?
                .ok_or_else(|| {
                    Error::NotFound(format!(
                        "the store has no private key for \"{}\"",
                        signer.subject()
                    ))
                })?;
            let opts = ValidationOptions::new(options.signing_time(), LeafPolicy::SmimeSigning);
            let chain = match Validator::new(tx).validate(signer, &opts)? {
                // Everything above the signer but a self-signed root (a store CA's
                // intermediate is itself an anchor here, but not at the recipient's).
                Validation::Valid { chain, .. } => chain
                    .into_iter()
                    .skip(1)
                    .filter(|c| !c.is_self_signed())
                    .collect(),
                Validation::Invalid { .. } => Vec::new(),
            };
            Ok((key, chain))
        })?;
        sign_message(message, signer, &chain, &key, form, options)
    }

    /// Verifies a signed message and validates each signer certificate for S/MIME signing at
    /// `at` (the certificates in the message help build chains).
    pub fn verify(&self, message: &[u8], at: SystemTime) -> Result<Verification> {
        let verified = self.store.read_transaction(|tx| {
            // Signer certificates not carried in the message are looked up in the store.
            let extra: Vec<Certificate> = Vec::new();
            let first = verify_message(message, &extra)?;
            if first.signed.signers.iter().all(|s| s.certificate.is_some()) {
                return Ok(first);
            }
            let mut extra = Vec::new();
            for s in &first.signed.signers {
                if s.certificate.is_none() {
                    extra.extend(signer_candidates(tx, s)?);
                }
            }
            verify_message(message, &extra)
        })?;
        let options = ValidationOptions::new(at, LeafPolicy::SmimeSigning);
        let signers = self.store.read_transaction(|tx| {
            verified
                .signed
                .signers
                .iter()
                .map(|s| {
                    let validation = match &s.certificate {
                        Some(c) => Some(
                            Validator::new(tx)
                                .intermediates(verified.signed.certificates.iter().cloned())
                                .validate(c, &options)?,
                        ),
                        None => None,
                    };
                    Ok(SignerVerdict {
                        certificate: s.certificate.clone(),
                        signature_valid: s.status.is_valid(),
                        validation,
                    })
                })
                .collect::<Result<Vec<_>>>()
        })?;
        // Remember what each valid signer can decrypt, for choosing the cipher of mail to
        // them later.
        let announced: Vec<(Certificate, Vec<String>)> = signers
            .iter()
            .zip(&verified.signed.signers)
            .filter(|(v, r)| v.is_valid() && !r.capabilities.is_empty())
            .filter_map(|(v, r)| {
                v.certificate
                    .clone()
                    .map(|c| (c, r.capabilities.iter().map(SmimeCapability::oid).collect()))
            })
            .collect();
        if !announced.is_empty() {
            self.store.transaction(|tx| {
                for (c, oids) in &announced {
                    tx.put_smime_capabilities(c.thumbprint(), oids)?;
                }
                Ok(())
            })?;
        }
        Ok(Verification {
            message: verified,
            signers,
        })
    }

    /// Encrypts to `recipients` (see [`encrypt_message`]). Unless the options name a cipher,
    /// AES-GCM (AuthEnvelopedData) is used when every recipient's known S/MIME capabilities
    /// (recorded by [`verify`](Self::verify) from their valid signed mail) list it, and
    /// AES-256-CBC otherwise (Outlook and older Thunderbird cannot read AuthEnvelopedData).
    pub fn encrypt(
        &self,
        message: &[u8],
        recipients: &[Certificate],
        options: &EncryptOptions,
    ) -> Result<Vec<u8>> {
        let options = self.choose_cipher(recipients, options)?;
        encrypt_message(message, recipients, &options)
    }

    /// The options with the cipher every recipient is known to read, when the caller did not
    /// choose one.
    pub fn choose_cipher(
        &self,
        recipients: &[Certificate],
        options: &EncryptOptions,
    ) -> Result<EncryptOptions> {
        if options.cipher_chosen() || recipients.is_empty() {
            return Ok(*options);
        }
        let known = self.store.read_transaction(|tx| {
            recipients
                .iter()
                .map(|c| tx.smime_capabilities(c.thumbprint()))
                .collect::<Result<Vec<_>>>()
        })?;
        let all_list = |cap: SmimeCapability| {
            let oid = cap.oid();
            known
                .iter()
                .all(|k| k.as_ref().is_some_and(|list| list.contains(&oid)))
        };
        Ok(if all_list(SmimeCapability::Aes256Gcm) {
            options.cipher(ContentCipher::Aes256Gcm)
        } else if all_list(SmimeCapability::Aes128Gcm) {
            options.cipher(ContentCipher::Aes128Gcm)
        } else {
            *options
        })
    }

    /// Decrypts with a key from the store.
    pub fn decrypt(&self, message: &[u8], options: &DecryptOptions) -> Result<DecryptedMessage> {
        self.store
            .read_transaction(|tx| decrypt_message(message, &StoreKeys::new(tx), options))
    }

    /// Signs, then encrypts the signed message.
    pub fn sign_encrypt(
        &self,
        message: &[u8],
        signer: &Certificate,
        recipients: &[Certificate],
        form: SignatureForm,
        sign_options: &SignOptions,
        encrypt_options: &EncryptOptions,
    ) -> Result<Vec<u8>> {
        let signed = self.sign(message, signer, form, sign_options)?;
        self.encrypt(&signed, recipients, encrypt_options)
    }

    /// Decrypts, then verifies the decrypted message when it is signed (`None` when it is
    /// not).
    pub fn decrypt_verify(
        &self,
        message: &[u8],
        at: SystemTime,
        options: &DecryptOptions,
    ) -> Result<(DecryptedMessage, Option<Verification>)> {
        let decrypted = self.decrypt(message, options)?;
        let t = entity_type(&decrypted.inner);
        let signed = is_multipart_signed(&t)
            || (is_pkcs7_mime(&t) && matches!(t.smime_type.as_deref(), Some("signed-data") | None));
        let verification = if signed {
            Some(self.verify(&decrypted.message, at)?)
        } else {
            None
        };
        Ok((decrypted, verification))
    }
}

fn signer_candidates(
    tx: &dyn ReadTransaction,
    s: &super::signed::SignerReport,
) -> Result<Vec<Certificate>> {
    Ok(match &s.identifier {
        RecipientId::IssuerSerial { issuer_der, serial } => tx
            .certificate_by_issuer_serial(issuer_der, serial)?
            .into_iter()
            .collect(),
        RecipientId::SubjectKeyId(ski) => tx.certificates_by_subject_key_id(ski)?,
    })
}

#[cfg(test)]
#[path = "message_tests.rs"]
mod tests;
