//! Request handlers, PKCS#10 both ways, deliveries and bulk CSV (EC P-256 keys throughout:
//! the key type does not matter here and RSA generation would only cost time).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use super::bulk::{self, BulkLimits, BulkOptions};
use super::*;
use crate::ErrorKind;
use crate::ca::{CaSpec, CertificateAuthority, DistinguishedName};
use crate::key::KeySpec;
use crate::store::{
    MemoryStore, ReadTransaction, RequestStatus, SettingScope, Store, StoreExt, Transaction,
};
use crate::time::{FixedClock, SystemClock};
use der::Decode;

fn ec(email: &str, cn: &str) -> RequestOptions {
    RequestOptions::new(email, cn).key(KeySpec::EcP256)
}

fn fast_p12() -> Pkcs12Options {
    Pkcs12Options::new().iterations(1000)
}

/// A store with a root + issuing CA (EC P-256).
fn store_with_ca(name: &str) -> (MemoryStore, Certificate) {
    let store = MemoryStore::new();
    let created = CertificateAuthority::new(&store)
        .create(
            &CaSpec::new(DistinguishedName::new(format!("{name} Root")))
                .key(KeySpec::EcP256)
                .intermediate(DistinguishedName::new(format!("{name} Mail CA"))),
            &SystemClock,
        )
        .unwrap();
    let issuing = created.issuing_certificate().clone();
    (store, issuing)
}

/// What a test compares to prove that nothing changed.
fn snapshot(store: &dyn Store) -> String {
    store
        .read_transaction(|tx| {
            let certs: Vec<_> = tx
                .list_certificates(&crate::store::CertificateFilter::new())?
                .iter()
                .map(|c| c.thumbprint().to_string())
                .collect();
            let mut issued = Vec::new();
            for ca in tx.cas()? {
                issued.extend(
                    tx.issued_by(ca.id)?
                        .into_iter()
                        .map(|r| r.serial.to_string()),
                );
            }
            Ok(format!(
                "{certs:?}|{issued:?}|{:?}|{:?}",
                tx.requests(None)?,
                tx.users()?
            ))
        })
        .unwrap()
}

#[test]
fn built_in_issues_at_once_with_user_password_and_delivery() {
    let (store, issuing) = store_with_ca("A");
    let requests = Requests::new(&store)
        .pkcs12_options(fast_p12())
        .delivery_from("pki@example.com");
    let opts = ec("alice@example.com", "Alice Example")
        .organization("Example GmbH")
        .deliver_pkcs12(20)
        .store_password(true);
    let mut result = requests.request(&opts, &SystemClock).unwrap();
    assert!(!result.is_pending());
    let cert = result.certificate().unwrap().clone();
    cert.verify_issued_by(&issuing).unwrap();
    assert_eq!(cert.emails(), ["alice@example.com"]);
    assert!(cert.subject().contains("O=Example GmbH"));
    assert_eq!(result.chain().len(), 2);
    let record = result.record().clone();
    assert_eq!(record.status, RequestStatus::Completed);
    assert_eq!(record.certificate, Some(*cert.thumbprint()));
    assert_eq!(record.handler, BUILT_IN);

    let delivery = result.take_delivery().unwrap();
    assert_eq!(delivery.password().len(), 20);
    assert!(!format!("{delivery:?}").contains(delivery.password()));
    let p12 = crate::pkcs12::import(delivery.pkcs12(), delivery.password()).unwrap();
    assert_eq!(p12.certificate().unwrap().thumbprint(), cert.thumbprint());
    assert_eq!(p12.chain().len(), 2, "the PKCS#12 carries the chain");
    let message = String::from_utf8(delivery.message().to_vec()).unwrap();
    assert!(message.contains("To: alice@example.com\r\n"));
    assert!(message.contains("From: pki@example.com\r\n"));
    assert!(message.contains("Content-Type: application/x-pkcs12; name=\"alice_example.com.p12\""));
    assert!(!message.contains(delivery.password()));
    // The attachment is the PKCS#12.
    let b64: String = message
        .split("filename=\"alice_example.com.p12\"\r\n\r\n")
        .nth(1)
        .unwrap()
        .split("\r\n--")
        .next()
        .unwrap()
        .replace("\r\n", "");
    use base64ct::Encoding;
    assert_eq!(
        base64ct::Base64::decode_vec(&b64).unwrap(),
        delivery.pkcs12()
    );

    store
        .read_transaction(|tx| {
            assert!(tx.key_for_certificate(cert.thumbprint())?.is_some());
            let user = crate::store::EmailAddress::new("alice@example.com")?;
            assert!(tx.has_user(&user)?);
            assert_eq!(
                tx.setting(&SettingScope::User(user), PASSWORD_SETTING)?
                    .as_deref(),
                Some(delivery.password())
            );
            assert_eq!(tx.request(record.id)?, Some(record.clone()));
            Ok(())
        })
        .unwrap();
}

#[test]
fn refused_options_store_nothing() {
    let (store, _) = store_with_ca("A");
    let before = snapshot(&store);
    let requests = Requests::new(&store);
    for (opts, kind) in [
        (ec("not an address", "X"), ErrorKind::InvalidArgument),
        (ec("x@example.com", "  "), ErrorKind::InvalidArgument),
        (
            ec("x@example.com", "Bad <name>"),
            ErrorKind::InvalidArgument,
        ),
        (
            ec("x@example.com", "X").key(KeySpec::Rsa(1024)),
            ErrorKind::Weak,
        ),
        (ec("x@example.com", "X").days(0), ErrorKind::InvalidArgument),
        (
            ec("x@example.com", "X").handler("acme"),
            ErrorKind::NotFound,
        ),
        (
            ec("x@example.com", "X").deliver_pkcs12(4),
            ErrorKind::InvalidArgument,
        ),
        (
            ec("x@example.com", "X").store_password(true),
            ErrorKind::InvalidArgument,
        ),
    ] {
        let e = requests.request(&opts, &SystemClock).unwrap_err();
        assert_eq!(e.kind(), kind, "{opts:?}: {e}");
    }
    // No CA: the built-in handler cannot issue, and nothing is left behind.
    let empty = MemoryStore::new();
    let e = Requests::new(&empty)
        .request(&ec("x@example.com", "X"), &SystemClock)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert_eq!(snapshot(&empty), snapshot(&MemoryStore::new()));
    assert_eq!(snapshot(&store), before);
}

#[test]
fn outward_csr_is_pending_until_the_external_certificate_completes_it() {
    let (ours, _) = store_with_ca("Ours");
    let (external, external_ca) = store_with_ca("External");
    let requests = Requests::new(&ours);
    let pending = requests
        .request(&ec("bob@example.com", "Bob").handler(CSR), &SystemClock)
        .unwrap();
    assert!(pending.is_pending());
    let id = pending.record().id;
    let key_id = pending.record().key_id.unwrap();
    assert!(ours.read_transaction(|tx| tx.has_key(&key_id)).unwrap());

    // The PKCS#10 made here passes the inward checks (self-signature, key, names).
    let pem = requests.csr_pem(id).unwrap();
    let checked = CheckedCsr::check(pem.as_bytes(), &CsrPolicy::new()).unwrap();
    assert_eq!(checked.options().get_email(), "bob@example.com");
    assert_eq!(checked.options().get_common_name(), "Bob");

    // The external CA issues for it (here: another store's inward handler).
    let issued = Requests::new(&external)
        .submit_csr(pem.as_bytes(), &CsrPolicy::new(), true, &SystemClock)
        .unwrap();
    let cert = issued.certificate().unwrap().clone();
    cert.verify_issued_by(&external_ca).unwrap();

    // A certificate for another key is refused and changes nothing.
    let other = Requests::new(&external)
        .request(&ec("bob@example.com", "Bob"), &SystemClock)
        .unwrap();
    let before = snapshot(&ours);
    let e = requests
        .complete(
            id,
            other.certificate().unwrap().to_pem().as_bytes(),
            &SystemClock,
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::KeyMismatch);
    let e = requests
        .complete(id, b"not a certificate", &SystemClock)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse);
    assert_eq!(snapshot(&ours), before);

    // The right one, with its chain in the same file, completes it.
    let mut file = cert.to_pem();
    for c in issued.chain() {
        file.push_str(&c.to_pem());
    }
    let done = requests
        .complete(id, file.as_bytes(), &SystemClock)
        .unwrap();
    assert_eq!(done.record().status, RequestStatus::Completed);
    assert_eq!(done.record().certificate, Some(*cert.thumbprint()));
    ours.read_transaction(|tx| {
        let key = tx.key_for_certificate(cert.thumbprint())?.unwrap();
        assert!(key.matches(&cert));
        assert_eq!(
            tx.count_certificates()?,
            2 + 1 + 2,
            "our CAs, the certificate, its chain"
        );
        Ok(())
    })
    .unwrap();
    let e = requests
        .complete(id, file.as_bytes(), &SystemClock)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "not pending any more");
}

#[test]
fn a_plain_certificate_import_completes_the_matching_request() {
    let (ours, _) = store_with_ca("Ours");
    let (external, _) = store_with_ca("External");
    let requests = Requests::new(&ours);
    let a = requests
        .request(&ec("a@example.com", "A").handler(CSR), &SystemClock)
        .unwrap();
    let b = requests
        .request(&ec("b@example.com", "B").handler(CSR), &SystemClock)
        .unwrap();
    let csr = requests.csr(a.record().id).unwrap();
    let cert = Requests::new(&external)
        .submit_csr(&csr, &CsrPolicy::new(), true, &SystemClock)
        .unwrap()
        .certificate()
        .unwrap()
        .clone();
    let done = requests
        .complete_matching(std::slice::from_ref(&cert), &SystemClock)
        .unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].record().id, a.record().id);
    assert_eq!(
        requests.get(b.record().id).unwrap().status,
        RequestStatus::Pending
    );
    assert!(
        requests
            .complete_matching(&[cert], &SystemClock)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn inward_csr_waits_for_approval_and_the_key_never_enters_the_store() {
    let (store, issuing) = store_with_ca("A");
    let client_key = PrivateKey::generate(KeySpec::EcP256).unwrap();
    let csr = csr::build_csr(
        &client_key,
        &ec("carol@example.org", "Carol").organization("Carol Ltd"),
        "carol@example.org",
    )
    .unwrap();
    let requests = Requests::new(&store);
    let policy = CsrPolicy::new()
        .allowed_domain("example.org")
        .create_user(true);
    let pending = requests
        .submit_csr(&csr, &policy, false, &SystemClock)
        .unwrap();
    assert!(pending.is_pending());
    assert_eq!(pending.record().handler, CSR_INWARD);
    let id = pending.record().id;
    assert!(requests.complete(id, b"x", &SystemClock).is_err());
    let e = requests.retry(id, &SystemClock).unwrap_err();
    assert!(e.to_string().contains("approval"), "{e}");

    let done = requests.approve(id, &SystemClock).unwrap();
    let cert = done.certificate().unwrap();
    cert.verify_issued_by(&issuing).unwrap();
    assert!(client_key.matches(cert));
    assert_eq!(cert.emails(), ["carol@example.org"]);
    assert!(
        !cert.subject().contains("Carol Ltd"),
        "O is not copied by default"
    );
    store
        .read_transaction(|tx| {
            assert!(tx.key_for_certificate(cert.thumbprint())?.is_none());
            assert!(tx.has_user(&crate::store::EmailAddress::new("carol@example.org")?)?);
            Ok(())
        })
        .unwrap();
    assert!(requests.approve(id, &SystemClock).is_err(), "approved once");

    // With copy_subject_fields the organisation is taken.
    let copied = requests
        .submit_csr(
            &csr,
            &policy.clone().copy_subject_fields(true),
            true,
            &SystemClock,
        )
        .unwrap();
    assert!(
        copied
            .certificate()
            .unwrap()
            .subject()
            .contains("O=Carol Ltd")
    );
}

#[test]
fn inward_csr_refusals_store_nothing() {
    let (store, _) = store_with_ca("A");
    let requests = Requests::new(&store);
    let key = PrivateKey::generate(KeySpec::EcP256).unwrap();
    let good = csr::build_csr(&key, &ec("dave@example.org", "Dave"), "dave@example.org").unwrap();
    let before = snapshot(&store);

    // A changed byte in the signed part: the self-signature fails.
    let mut altered = good.clone();
    let pos = altered.windows(4).position(|w| w == b"Dave").unwrap();
    altered[pos] = b'E';
    let e = requests
        .submit_csr(&altered, &CsrPolicy::new(), false, &SystemClock)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Crypto, "{e}");
    assert!(e.to_string().contains("self-signature"), "{e}");

    // Ed25519 cannot decrypt mail.
    let ed = PrivateKey::generate(KeySpec::Ed25519).unwrap();
    let ed_csr = csr::build_csr(&ed, &ec("dave@example.org", "Dave"), "dave@example.org").unwrap();
    let e = requests
        .submit_csr(&ed_csr, &CsrPolicy::new(), false, &SystemClock)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");

    // Forbidden names: another domain, another address, a bad common name.
    for (policy, opts, kind) in [
        (
            CsrPolicy::new().allowed_domain("example.com"),
            ec("dave@example.org", "Dave"),
            ErrorKind::NotPermitted,
        ),
        (
            CsrPolicy::new().email("eve@example.org"),
            ec("dave@example.org", "Dave"),
            ErrorKind::NotPermitted,
        ),
    ] {
        let email = opts.get_email().to_string();
        let der = csr::build_csr(&key, &opts, &email).unwrap();
        let e = requests
            .submit_csr(&der, &policy, true, &SystemClock)
            .unwrap_err();
        assert_eq!(e.kind(), kind, "{e}");
    }
    // Names only a foreign tool would write: a common name with characters the CA refuses,
    // two different addresses, none at all.
    use std::str::FromStr;
    for (subject, email, kind) in [
        (
            "CN=Dave <script>",
            "dave@example.org",
            ErrorKind::InvalidArgument,
        ),
        (
            "CN=Dave,emailAddress=eve@example.org",
            "dave@example.org",
            ErrorKind::NotPermitted,
        ),
        ("CN=Dave", "", ErrorKind::InvalidArgument),
        (
            "O=No common name",
            "dave@example.org",
            ErrorKind::InvalidArgument,
        ),
    ] {
        let name = x509_cert::name::Name::from_str(subject).unwrap();
        let der = if email.is_empty() {
            let info = x509_cert::request::CertReqInfo {
                version: x509_cert::request::Version::V1,
                subject: name,
                public_key: spki::SubjectPublicKeyInfoOwned::from_der(&key.public_key_der())
                    .unwrap(),
                attributes: Default::default(),
            };
            let tbs = der::Encode::to_der(&info).unwrap();
            let scheme = crate::key::SignatureScheme::Ecdsa(crate::key::HashAlg::Sha256);
            let sig = crate::key::Signer::sign(&key, scheme, &tbs).unwrap();
            der::Encode::to_der(&x509_cert::request::CertReq {
                info,
                algorithm: crate::key::algorithm_identifier(scheme).unwrap(),
                signature: der::asn1::BitString::from_bytes(&sig).unwrap(),
            })
            .unwrap()
        } else {
            csr::sign_csr(&key, name, email, crate::key::HashAlg::Sha256).unwrap()
        };
        let e = requests
            .submit_csr(&der, &CsrPolicy::new(), true, &SystemClock)
            .unwrap_err();
        assert_eq!(e.kind(), kind, "{subject}: {e}");
    }
    let e = requests
        .submit_csr(b"garbage", &CsrPolicy::new(), false, &SystemClock)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse);
    let big = vec![0x30; MAX_CSR_LEN + 1];
    let e = requests
        .submit_csr(&big, &CsrPolicy::new(), false, &SystemClock)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LimitExceeded);
    assert_eq!(snapshot(&store), before);
}

/// An external handler: pending on submit, issued (by another store's CA) on the second poll,
/// failing on the first.
struct LaterHandler {
    ca_store: MemoryStore,
    calls: AtomicUsize,
}

impl RequestHandler for LaterHandler {
    fn name(&self) -> &str {
        "later"
    }

    fn submit(&self, _request: &HandlerRequest<'_>) -> crate::Result<HandlerOutcome> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Ok(HandlerOutcome::Pending {
            reference: Some("order-1".into()),
            retry_at: None,
        })
    }

    fn poll(&self, request: &HandlerRequest<'_>) -> crate::Result<HandlerOutcome> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        assert_eq!(request.reference, Some("order-1"));
        if n == 1 {
            return Err(Error::Io {
                action: "connect to",
                path: "ca.example".into(),
                source: std::io::Error::other("the CA is down"),
            });
        }
        let issued = Requests::new(&self.ca_store).submit_csr(
            request.csr,
            &CsrPolicy::new(),
            true,
            &SystemClock,
        )?;
        Ok(HandlerOutcome::Issued {
            certificate: issued.certificate().cloned().ok_or(Error::KeyMismatch)?,
            chain: issued.chain().to_vec(),
        })
    }
}

#[test]
fn an_external_handler_goes_pending_and_the_driver_completes_it_later() {
    let (store, _) = store_with_ca("A");
    let (ca_store, _) = store_with_ca("Remote");
    let handler = Arc::new(LaterHandler {
        ca_store,
        calls: AtomicUsize::new(0),
    });
    let requests = Requests::new(&store)
        .with_handler(handler.clone())
        .retry_delay(Duration::from_secs(600));
    let t0 = SystemTime::now();
    let clock = FixedClock(t0);
    let r = requests
        .request(&ec("erin@example.com", "Erin").handler("later"), &clock)
        .unwrap();
    assert!(r.is_pending());
    assert_eq!(r.record().reference.as_deref(), Some("order-1"));
    assert_eq!(r.record().attempts, 1);
    assert_eq!(r.record().next_attempt, t0 + Duration::from_secs(600));
    let id = r.record().id;

    // Not due yet: the driver does nothing.
    assert!(requests.run_due(&clock).unwrap().is_empty());
    // Due: the handler fails; the request stays pending with the error.
    let later = FixedClock(t0 + Duration::from_secs(601));
    let out = requests.run_due(&later).unwrap();
    assert_eq!(out.len(), 1);
    assert!(out[0].is_pending());
    assert!(
        out[0]
            .record()
            .last_error
            .as_deref()
            .unwrap()
            .contains("the CA is down")
    );
    assert_eq!(out[0].record().attempts, 2);
    // Rescheduled to now, then retried: issued.
    requests.reschedule(id, t0, &later).unwrap();
    let out = requests.run_due(&later).unwrap();
    assert_eq!(out.len(), 1);
    let cert = out[0].certificate().unwrap();
    assert_eq!(out[0].record().status, RequestStatus::Completed);
    assert!(out[0].record().last_error.is_none());
    store
        .read_transaction(|tx| {
            assert!(tx.key_for_certificate(cert.thumbprint())?.is_some());
            Ok(())
        })
        .unwrap();
    assert_eq!(handler.calls.load(Ordering::SeqCst), 3);
    assert!(requests.run_due(&later).unwrap().is_empty());
}

#[test]
fn cancel_removes_the_unused_key_and_ends_the_request() {
    let (store, _) = store_with_ca("A");
    let requests = Requests::new(&store);
    let r = requests
        .request(&ec("f@example.com", "F").handler(CSR), &SystemClock)
        .unwrap();
    let id = r.record().id;
    let key_id = r.record().key_id.unwrap();
    let e = requests.retry(id, &SystemClock).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    let cancelled = requests.cancel(id, &SystemClock).unwrap();
    assert_eq!(cancelled.status, RequestStatus::Cancelled);
    assert!(!store.read_transaction(|tx| tx.has_key(&key_id)).unwrap());
    assert!(requests.cancel(id, &SystemClock).is_err());
    assert_eq!(
        requests.list(Some(RequestStatus::Cancelled)).unwrap().len(),
        1
    );
    assert!(
        requests
            .list(Some(RequestStatus::Pending))
            .unwrap()
            .is_empty()
    );
    let missing = crate::store::RequestId::new(99).unwrap();
    assert_eq!(
        requests.get(missing).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

// --- bulk CSV ---------------------------------------------------------------------------------

fn template() -> BulkOptions {
    BulkOptions::new(RequestOptions::new("", "").key(KeySpec::EcP256))
}

fn utf16le_bom(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        out.extend_from_slice(&u.to_le_bytes());
    }
    out
}

fn emails(plan: &bulk::Plan) -> Vec<&str> {
    plan.rows().iter().map(|r| r.options.get_email()).collect()
}

#[test]
fn csv_as_excel_libreoffice_and_a_text_editor_write_it() {
    let (store, _) = store_with_ca("A");
    // Excel "Unicode text"/German locale: UTF-16LE with BOM, `;`, CRLF, upper-case header.
    let excel = utf16le_bom(
        "EMAIL;COMMONNAME;ORGANISATION;FIRSTNAME;LASTNAME;NOTES\r\n\
         joerg@example.com;Jörg Müller;Müller & Söhne;Jörg;Müller;\"call; later\"\r\n",
    );
    // LibreOffice: UTF-8 without BOM, `,`, every text quoted, a line break inside a value is
    // refused by the name check but quoted commas are fine.
    let libre = "\"Email\",\"CN\",\"Org\"\n\"ann@example.com\",\"Ann, the first\",\"A, B & C\"\n";
    // A text editor: UTF-8 with BOM, aliases in lower case, blank lines.
    let editor = "\u{feff}e,cn,fn,sn\n\nbo@example.com,Bo,Bo,Berg\n\n";
    for (input, want) in [
        (excel.clone(), "joerg@example.com"),
        (libre.as_bytes().to_vec(), "ann@example.com"),
        (editor.as_bytes().to_vec(), "bo@example.com"),
    ] {
        let plan = bulk::preview(&store, &input, &template(), &SystemClock).unwrap();
        assert!(plan.errors().is_empty(), "{:?}", plan.errors());
        assert_eq!(emails(&plan), [want]);
        assert_eq!(plan.rows()[0].line, 2);
    }
    let plan = bulk::preview(&store, &excel, &template(), &SystemClock).unwrap();
    let o = &plan.rows()[0].options;
    assert_eq!(o.get_common_name(), "Jörg Müller");
    assert_eq!(o.organization.as_deref(), Some("Müller & Söhne"));
    assert_eq!(o.given_name.as_deref(), Some("Jörg"));
    assert_eq!(o.surname.as_deref(), Some("Müller"));
    let plan = bulk::preview(&store, libre.as_bytes(), &template(), &SystemClock).unwrap();
    assert_eq!(plan.rows()[0].options.get_common_name(), "Ann, the first");
    assert_eq!(
        plan.rows()[0].options.organization.as_deref(),
        Some("A, B & C")
    );
}

#[test]
fn csv_row_errors_have_line_numbers_and_the_preview_changes_nothing() {
    let (store, _) = store_with_ca("A");
    let long = "x".repeat(257);
    let csv = format!(
        "Email,CommonName,Notes\n\
         a@example.com,A,\"a note\nover two lines\"\n\
         not-an-address,B,\n\
         c@example.com,,\n\
         a@EXAMPLE.com,A again,\n\
         d@example.com,{long},\n\
         e@example.com,\"E, with comma\",\n"
    );
    let before = snapshot(&store);
    let plan = bulk::preview(&store, csv.as_bytes(), &template(), &SystemClock).unwrap();
    assert_eq!(snapshot(&store), before, "the preview changes nothing");
    assert_eq!(emails(&plan), ["a@example.com", "e@example.com"]);
    assert_eq!(plan.ignored_columns(), ["Notes"]);
    let lines: Vec<u64> = plan.errors().iter().map(|e| e.line).collect();
    // Line 2's value spans two lines, so the next row starts on line 4.
    assert_eq!(lines, [4, 5, 6, 7]);
    assert!(plan.errors()[1].message.contains("common name"));
    assert!(
        plan.errors()[2].message.contains("line 2"),
        "{:?}",
        plan.errors()[2]
    );
    assert!(plan.errors()[3].message.contains("256"));
    // The real run refuses a file with row errors.
    let e = bulk::run(&Requests::new(&store), &plan, &SystemClock, &mut |_, _| {}).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert_eq!(snapshot(&store), before);
}

#[test]
fn csv_file_level_refusals() {
    let store = MemoryStore::new();
    let t = template();
    for (input, kind) in [
        (b"".to_vec(), ErrorKind::Parse),
        (b"name,org\nA,B\n".to_vec(), ErrorKind::Parse),
        (
            b"email,cn,e\na@x.com,A,b@x.com\n".to_vec(),
            ErrorKind::Parse,
        ),
        (b"email,cn\n\xff\xfe\xfd,A\n".to_vec(), ErrorKind::Parse),
        (vec![0xFF, 0xFE, 0x65], ErrorKind::Parse),
    ] {
        let e = bulk::preview(&store, &input, &t, &SystemClock).unwrap_err();
        assert_eq!(e.kind(), kind, "{e}");
    }
    let mut many = String::from("email,cn\n");
    for i in 0..4 {
        many.push_str(&format!("u{i}@example.com,U{i}\n"));
    }
    let small = template().limits(BulkLimits {
        max_rows: 3,
        max_value_chars: 256,
    });
    let e = bulk::preview(&store, many.as_bytes(), &small, &SystemClock).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LimitExceeded);
    let ok = template().limits(BulkLimits {
        max_rows: 4,
        max_value_chars: 256,
    });
    assert_eq!(
        bulk::preview(&store, many.as_bytes(), &ok, &SystemClock)
            .unwrap()
            .rows()
            .len(),
        4
    );
}

#[test]
fn csv_skips_addresses_with_a_valid_signing_certificate_when_asked() {
    let (store, _) = store_with_ca("A");
    Requests::new(&store)
        .request(&ec("has@example.com", "Has"), &SystemClock)
        .unwrap();
    let csv = b"email,cn\nhas@example.com,Has\nnew@example.com,New\n";
    let plan = bulk::preview(&store, csv, &template(), &SystemClock).unwrap();
    assert_eq!(emails(&plan), ["new@example.com"]);
    assert_eq!(plan.skipped().len(), 1);
    assert_eq!(plan.skipped()[0].line, 2);
    let plan = bulk::preview(&store, csv, &template().skip_existing(false), &SystemClock).unwrap();
    assert_eq!(emails(&plan), ["has@example.com", "new@example.com"]);
}

/// A store whose `n`-th write transaction fails after its closure ran (so everything the
/// closure wrote is rolled back): a failure in the middle of a bulk run.
struct FailingStore {
    inner: MemoryStore,
    writes: AtomicUsize,
    fail_at: usize,
}

impl Store for FailingStore {
    fn transact(
        &self,
        f: &mut dyn FnMut(&mut dyn Transaction) -> crate::Result<()>,
    ) -> crate::Result<()> {
        let n = self.writes.fetch_add(1, Ordering::SeqCst) + 1;
        self.inner.transact(&mut |tx| {
            f(tx)?;
            if n == self.fail_at {
                return Err(Error::Storage("disk full".into()));
            }
            Ok(())
        })
    }

    fn read(
        &self,
        f: &mut dyn FnMut(&dyn ReadTransaction) -> crate::Result<()>,
    ) -> crate::Result<()> {
        self.inner.read(f)
    }
}

#[test]
fn a_run_interrupted_by_a_failure_leaves_no_half_issued_row() {
    let (inner, _) = store_with_ca("A");
    // The third write transaction (the third row) fails.
    let store = FailingStore {
        inner,
        writes: AtomicUsize::new(0),
        fail_at: 3,
    };
    let csv =
        b"email,cn\nr1@example.com,R1\nr2@example.com,R2\nr3@example.com,R3\nr4@example.com,R4\n";
    let opts = BulkOptions::new(
        RequestOptions::new("", "")
            .key(KeySpec::EcP256)
            .create_user(true),
    );
    let plan = bulk::preview(&store, csv, &opts, &SystemClock).unwrap();
    let mut progress = Vec::new();
    let report = bulk::run(&Requests::new(&store), &plan, &SystemClock, &mut |d, t| {
        progress.push((d, t))
    })
    .unwrap();
    assert!(!report.is_complete());
    let issued: Vec<u64> = report.issued().iter().map(|r| r.line).collect();
    assert_eq!(issued, [2, 3]);
    let failed = report.failed().unwrap();
    assert_eq!((failed.line, failed.email.as_str()), (4, "r3@example.com"));
    assert!(failed.message.contains("disk full"));
    let not: Vec<u64> = report.not_issued().iter().map(|r| r.line).collect();
    assert_eq!(not, [4, 5]);
    assert_eq!(progress, [(1, 4), (2, 4)]);
    store
        .read_transaction(|tx| {
            for (email, there) in [
                ("r1@example.com", true),
                ("r2@example.com", true),
                ("r3@example.com", false),
                ("r4@example.com", false),
            ] {
                let certs = tx.certificates_by_email(email)?;
                let user = tx.has_user(&crate::store::EmailAddress::new(email)?)?;
                let requests = tx
                    .requests(None)?
                    .into_iter()
                    .filter(|r| r.email == email)
                    .count();
                let issued = tx
                    .issued_by(tx.default_ca()?.unwrap().id)?
                    .into_iter()
                    .filter(|r| r.email.as_deref() == Some(email))
                    .count();
                let keys = certs
                    .iter()
                    .filter(|c| tx.key_for_certificate(c.thumbprint()).unwrap().is_some())
                    .count();
                let n = usize::from(there);
                assert_eq!(
                    (certs.len(), keys, issued, requests, user),
                    (n, n, n, n, there),
                    "{email}"
                );
            }
            Ok(())
        })
        .unwrap();
}
