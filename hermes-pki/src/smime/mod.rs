//! S/MIME messages (REQUIREMENTS.md section 7): sign, verify, encrypt and decrypt MIME entities
//! with CMS (RFC 5652, RFC 8551).
//!
//! Layers, bottom up:
//!
//! - `signed`: CMS SignedData on content bytes (detached or encapsulated).
//! - `envelope`: CMS EnvelopedData / AuthEnvelopedData on content bytes.
//! - the MIME layer and the public message API (this module).

mod envelope;
// Integration in progress: the message layer lands with the CMS layers.
#[allow(dead_code)]
mod mime;
mod signed;

#[allow(unused_imports)]
pub use envelope::*;
#[allow(unused_imports)]
pub use signed::*;
