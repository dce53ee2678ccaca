//! PKCS#12 delivery: the issued certificate, its key and chain as a `.p12` file under a
//! generated password, and a ready MIME message to the user with the file attached. The
//! library builds the message; sending it (and giving the password by another channel) is the
//! caller's.

use base64ct::{Base64, Encoding};
use zeroize::Zeroizing;

use crate::cert::Certificate;
use crate::error::{Error, Result};
use crate::key::PrivateKey;
use crate::pkcs12::{self, Pkcs12Options, generate_password};

/// The user setting under which [`RequestOptions::store_password`](super::RequestOptions::store_password)
/// keeps the generated PKCS#12 password (a raw store setting, not one of
/// [`crate::settings::SettingKey`]).
pub const PASSWORD_SETTING: &str = "pkcs12-password";

/// A PKCS#12 file ready for its user. The password is zeroized when this is dropped and is not
/// shown by `Debug`.
pub struct Delivery {
    password: Zeroizing<String>,
    pkcs12: Vec<u8>,
    message: Vec<u8>,
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("pkcs12_len", &self.pkcs12.len())
            .field("message_len", &self.message.len())
            .finish_non_exhaustive()
    }
}

impl Delivery {
    /// The generated password.
    pub fn password(&self) -> &str {
        &self.password
    }

    /// The PKCS#12 file (DER), with the chain.
    pub fn pkcs12(&self) -> &[u8] {
        &self.pkcs12
    }

    /// The MIME message to the user (CRLF line ends): a short text and the `.p12` attached
    /// (`application/x-pkcs12`, base64). It does not contain the password.
    pub fn message(&self) -> &[u8] {
        &self.message
    }
}

/// Builds the delivery of `certificate` (for `email`) with its `key` and `chain`: a password
/// of `password_len` characters ([`generate_password`]), the PKCS#12 with `options`, and the
/// message from `from` (an address; `None`: no From header, the caller's mailer sets one).
pub fn build_delivery(
    certificate: &Certificate,
    key: &PrivateKey,
    chain: &[Certificate],
    email: &str,
    password_len: usize,
    options: &Pkcs12Options,
    from: Option<&str>,
) -> Result<Delivery> {
    let password = generate_password(password_len)?;
    build_with_password(certificate, key, chain, email, password, options, from)
}

/// [`build_delivery`] with a password generated before (and perhaps stored).
pub(crate) fn build_with_password(
    certificate: &Certificate,
    key: &PrivateKey,
    chain: &[Certificate],
    email: &str,
    password: Zeroizing<String>,
    options: &Pkcs12Options,
    from: Option<&str>,
) -> Result<Delivery> {
    let options = if options.get_friendly_name().is_some() {
        options.clone()
    } else {
        options.clone().friendly_name(email)
    };
    let pkcs12 = pkcs12::export(certificate, key, chain, &password, &options)?;
    let message = message(email, from, &pkcs12)?;
    Ok(Delivery {
        password,
        pkcs12,
        message,
    })
}

fn header_safe(what: &str, value: &str) -> Result<()> {
    if value.chars().any(|c| c.is_control() || !c.is_ascii()) {
        return Err(Error::InvalidArgument(format!(
            "the {what} {value:?} cannot go into a mail header as it is"
        )));
    }
    Ok(())
}

fn message(to: &str, from: Option<&str>, pkcs12: &[u8]) -> Result<Vec<u8>> {
    header_safe("recipient address", to)?;
    if let Some(f) = from {
        header_safe("sender address", f)?;
    }
    let mut r = [0u8; 12];
    getrandom::fill(&mut r)
        .map_err(|e| Error::Crypto(format!("the operating system RNG failed: {e}")))?;
    let boundary = format!("----=_hermes_p12_{}", hex::encode(r));
    let file = format!(
        "{}.p12",
        to.chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            })
            .collect::<String>()
    );
    let mut m = String::new();
    if let Some(f) = from {
        m.push_str(&format!("From: {f}\r\n"));
    }
    m.push_str(&format!("To: {to}\r\n"));
    m.push_str("Subject: Your S/MIME certificate\r\n");
    m.push_str("MIME-Version: 1.0\r\n");
    m.push_str(&format!(
        "Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n"
    ));
    m.push_str(&format!("--{boundary}\r\n"));
    m.push_str("Content-Type: text/plain; charset=us-ascii\r\n");
    m.push_str("Content-Transfer-Encoding: 7bit\r\n\r\n");
    m.push_str(
        "Attached is your S/MIME certificate with its private key, as a PKCS#12 file.\r\n\
         Open it in your mail program or key store to sign and decrypt mail.\r\n\
         Its password reaches you by another channel.\r\n\r\n",
    );
    m.push_str(&format!("--{boundary}\r\n"));
    m.push_str(&format!(
        "Content-Type: application/x-pkcs12; name=\"{file}\"\r\n"
    ));
    m.push_str("Content-Transfer-Encoding: base64\r\n");
    m.push_str(&format!(
        "Content-Disposition: attachment; filename=\"{file}\"\r\n\r\n"
    ));
    let b64 = Base64::encode_string(pkcs12);
    for chunk in b64.as_bytes().chunks(76) {
        m.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        m.push_str("\r\n");
    }
    m.push_str(&format!("--{boundary}--\r\n"));
    Ok(m.into_bytes())
}
