//! S/MIME messages (REQUIREMENTS.md section 7): sign, verify, encrypt and decrypt MIME entities
//! with CMS (RFC 5652, RFC 8551).
//!
//! Layers, bottom up:
//!
//! - CMS on content bytes: [`sign_data`] / [`verify_data`] (SignedData, detached or
//!   encapsulated) and [`encrypt_data`] / [`decrypt_data`] (EnvelopedData with AES-CBC,
//!   AuthEnvelopedData with AES-GCM; RSA key transport, ECDH key agreement). BER input (as
//!   Thunderbird and BouncyCastle write it) is converted to DER first ([`crate::ber`]).
//! - Messages: [`sign_message`], [`verify_message`], [`encrypt_message`], [`decrypt_message`]
//!   keep the outer header fields (From, To, Subject, ...) and work on the MIME entity in
//!   canonical form, as `multipart/signed` or `application/pkcs7-mime`. Their streaming forms
//!   [`sign_message_to`], [`encrypt_message_to`], [`decrypt_message_to`],
//!   [`verify_message_to`] (a reader in, a writer out; the in-memory functions run on them)
//!   hold about one copy of the message.
//! - [`Smime`]: the same over a store: keys from the store, signer certificates validated by
//!   the trust engine (anchors, trust list, CRLs), sign-then-encrypt and decrypt-then-verify.
//!
//! ```
//! use hermes_pki::ca::{CaSpec, CertificateAuthority, DistinguishedName, IssueSpec};
//! use hermes_pki::key::KeySpec;
//! use hermes_pki::smime::{DecryptOptions, EncryptOptions, SignOptions, SignatureForm, Smime};
//! use hermes_pki::store::MemoryStore;
//! use hermes_pki::time::SystemClock;
//!
//! # fn main() -> hermes_pki::Result<()> {
//! let store = MemoryStore::new();
//! let ca = CertificateAuthority::new(&store);
//! ca.create(&CaSpec::new(DistinguishedName::new("Root")).key(KeySpec::EcP256), &SystemClock)?;
//! let alice = ca.issue(&IssueSpec::new("alice@example.com", "Alice").key(KeySpec::EcP256), &SystemClock)?;
//! let bob = ca.issue(&IssueSpec::new("bob@example.com", "Bob").key(KeySpec::EcP256), &SystemClock)?;
//!
//! let now = std::time::SystemTime::now();
//! let smime = Smime::new(&store);
//! let mail = b"From: alice@example.com\r\nTo: bob@example.com\r\nSubject: hi\r\n\r\nHello Bob\r\n";
//! let sent = smime.sign_encrypt(
//!     mail,
//!     alice.certificate(),
//!     &[bob.certificate().clone()],
//!     SignatureForm::Detached,
//!     &SignOptions::new(now),
//!     &EncryptOptions::new(),
//! )?;
//! let (opened, verification) = smime.decrypt_verify(&sent, now, &DecryptOptions::new())?;
//! let verification = verification.expect("the message was signed");
//! assert!(verification.is_valid());
//! assert!(verification.message.message.ends_with(b"Hello Bob\r\n"));
//! # let _ = opened;
//! # Ok(())
//! # }
//! ```

mod envelope;
mod message;
pub(crate) mod mime;
mod signed;
mod weakness;

pub(crate) use envelope::DECRYPTION_FAILED;
pub use envelope::*;
pub use message::*;
pub use mime::{
    MAX_CONTENT_FIELD, MAX_DEPTH, MAX_HEADER_BLOCK, MAX_HEADER_FIELDS, MAX_PARAMETERS, MAX_PARTS,
};
pub use signed::*;
pub use weakness::{LegacyCipher, Weakness};
