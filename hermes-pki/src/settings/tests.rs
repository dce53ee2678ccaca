use super::*;
use crate::cert::Thumbprint;
use crate::error::ErrorKind;
use crate::store::conformance::fixtures;
use crate::store::{
    MasterKey, MasterKeySource, MemoryStore, ReadTransaction, SqliteStore, Store, StoreExt,
};

fn user(s: &str) -> SettingScope {
    SettingScope::user(s).unwrap()
}

fn domain(s: &str) -> SettingScope {
    SettingScope::domain(s).unwrap()
}

/// Everything the store holds about users, domains and settings, to compare before and after.
fn snapshot(store: &dyn Store) -> Vec<String> {
    store
        .read_transaction(|tx| {
            let mut out = Vec::new();
            let mut scopes = vec![SettingScope::Global];
            for u in tx.users()? {
                out.push(format!("user {u}"));
                scopes.push(SettingScope::User(u));
            }
            for d in tx.domains()? {
                out.push(format!("domain {d}"));
                scopes.push(SettingScope::Domain(d));
            }
            for s in &scopes {
                for (k, v) in tx.settings(s)? {
                    out.push(format!("{s}: {k}={v}"));
                }
            }
            Ok(out)
        })
        .unwrap()
}

#[test]
fn keys_have_names_defaults_and_allowed_values() {
    let names: Vec<&str> = SettingKey::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "sign",
            "encrypt",
            "auto-select",
            "additional-certificates",
            "add-signer-certificates",
            "cipher",
            "revocation",
            "signature-hash",
            "allow-legacy-ciphers",
            "require-authenticated",
            "allow-sha1",
            "crl-fetch-allow-private",
        ]
    );
    for key in SettingKey::ALL {
        assert_eq!(key.as_str().parse::<SettingKey>().unwrap(), key);
        assert_eq!(
            key.as_str().to_uppercase().parse::<SettingKey>().unwrap(),
            key
        );
        assert!(!key.description().is_empty());
        assert!(key.accepts(&key.default_value()), "{key}");
        // The default's text form parses back, except the empty list (which is not settable).
        if !key.is_list() {
            assert_eq!(
                key.parse(&key.default_value().to_string()).unwrap(),
                key.default_value()
            );
        }
    }
    assert_eq!(SettingKey::Sign.default_value(), SettingValue::Flag(true));
    assert_eq!(
        SettingKey::Encrypt.default_value(),
        SettingValue::Encrypt(EncryptPolicy::IfPossible)
    );
    assert_eq!(
        SettingKey::Cipher.default_value(),
        SettingValue::Cipher(CipherPreference::Auto)
    );
    assert_eq!(
        SettingKey::Revocation.default_value(),
        SettingValue::Revocation(RevocationMode::BestEffort)
    );
    assert_eq!(
        SettingKey::SignatureHash.default_value(),
        SettingValue::SignatureHash(SignatureHash::Sha256)
    );
    assert_eq!(
        SettingKey::AdditionalCertificates.default_value(),
        SettingValue::Thumbprints(vec![])
    );
    assert_eq!(
        SettingKey::AdditionalCertificates
            .default_value()
            .to_string(),
        "none"
    );
    assert!(SettingKey::Revocation.is_global_only());
    assert_eq!(
        SettingKey::ALL
            .iter()
            .filter(|k| k.is_global_only())
            .count(),
        5
    );
    for key in [
        SettingKey::AllowLegacyCiphers,
        SettingKey::RequireAuthenticated,
        SettingKey::AllowSha1,
        SettingKey::CrlFetchAllowPrivate,
    ] {
        assert_eq!(key.default_value(), SettingValue::Flag(false), "{key}");
        assert!(key.is_global_only(), "{key}");
    }
    assert!(SettingKey::AdditionalCertificates.is_list());
    let err = "colour".parse::<SettingKey>().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let msg = err.to_string();
    assert!(msg.contains("\"colour\"") && msg.contains("sign") && msg.contains("signature-hash"));
}

#[test]
fn values_parse_from_text_and_errors_name_key_and_values() {
    let ok: &[(SettingKey, &str, SettingValue)] = &[
        (SettingKey::Sign, "on", SettingValue::Flag(true)),
        (SettingKey::Sign, "OFF", SettingValue::Flag(false)),
        (SettingKey::AutoSelect, " no ", SettingValue::Flag(false)),
        (
            SettingKey::AddSignerCertificates,
            "true",
            SettingValue::Flag(true),
        ),
        (
            SettingKey::Encrypt,
            "If-Possible",
            SettingValue::Encrypt(EncryptPolicy::IfPossible),
        ),
        (
            SettingKey::Encrypt,
            "never",
            SettingValue::Encrypt(EncryptPolicy::Never),
        ),
        (
            SettingKey::Encrypt,
            "required",
            SettingValue::Encrypt(EncryptPolicy::Required),
        ),
        (
            SettingKey::Cipher,
            "aes-gcm",
            SettingValue::Cipher(CipherPreference::AesGcm),
        ),
        (
            SettingKey::Cipher,
            "AES-CBC",
            SettingValue::Cipher(CipherPreference::AesCbc),
        ),
        (
            SettingKey::Revocation,
            "Required",
            SettingValue::Revocation(RevocationMode::Required),
        ),
        (
            SettingKey::Revocation,
            "best-effort",
            SettingValue::Revocation(RevocationMode::BestEffort),
        ),
        (
            SettingKey::SignatureHash,
            "sha512",
            SettingValue::SignatureHash(SignatureHash::Sha512),
        ),
    ];
    for (key, text, want) in ok {
        let got = key.parse(text).unwrap();
        assert_eq!(&got, want, "{key} {text:?}");
        assert!(key.accepts(&got));
        // The canonical text form parses to the same value.
        assert_eq!(key.parse(&got.to_string()).unwrap(), got);
    }
    let bad: &[(SettingKey, &str, &str)] = &[
        (SettingKey::Sign, "sometimes", "on or off"),
        (
            SettingKey::Encrypt,
            "always",
            "never, if-possible or required",
        ),
        (SettingKey::Cipher, "des", "aes-cbc, aes-gcm or auto"),
        (SettingKey::Revocation, "strict", "best-effort or required"),
        (
            SettingKey::SignatureHash,
            "sha1",
            "sha256, sha384 or sha512",
        ),
        (SettingKey::SignatureHash, "", "sha256, sha384 or sha512"),
        (
            SettingKey::AdditionalCertificates,
            "ABCDEF",
            "not a SHA-512 thumbprint",
        ),
        (
            SettingKey::AdditionalCertificates,
            " , ",
            "the list is empty",
        ),
    ];
    for (key, text, allowed) in bad {
        let err = key.parse(text).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!("invalid argument: {key} must be"))
                || msg.contains(&format!("{key} must be")),
            "{msg}"
        );
        assert!(msg.contains(allowed), "{key} {text:?}: {msg}");
    }
    // Thumbprint lists: spaces or commas, colons inside, repeats dropped, order kept.
    let f = fixtures().unwrap();
    let (a, b) = (*f.alice.cert.thumbprint(), *f.bob.cert.thumbprint());
    let colons: String = a
        .to_hex()
        .as_bytes()
        .chunks(2)
        .map(|c| String::from_utf8_lossy(c).to_lowercase())
        .collect::<Vec<_>>()
        .join(":");
    let v = SettingKey::AdditionalCertificates
        .parse(&format!("{} ,{},  {colons}", b.to_hex(), a.to_hex()))
        .unwrap();
    assert_eq!(v, SettingValue::Thumbprints(vec![b, a]));
    assert_eq!(v.to_string(), format!("{} {}", b.to_hex(), a.to_hex()));
    assert_eq!(
        SignatureHash::Sha384.hash_alg(),
        crate::key::HashAlg::Sha384
    );
}

#[test]
fn an_empty_store_answers_the_defaults() {
    let store = MemoryStore::new();
    let settings = Settings::new(&store);
    for scope in [
        SettingScope::Global,
        domain("example.com"),
        user("a@example.com"),
    ] {
        let all = settings.show(&scope).unwrap();
        assert_eq!(all.len(), SettingKey::ALL.len());
        for (e, key) in all.iter().zip(SettingKey::ALL) {
            assert_eq!(e.key, key);
            assert_eq!(e.value, key.default_value());
            assert_eq!(e.source, Source::Default);
            assert!(e.levels.is_empty());
        }
    }
    assert_eq!(
        settings.revocation_mode().unwrap(),
        RevocationMode::BestEffort
    );
    // Looking up creates nothing.
    assert!(snapshot(&store).is_empty());
}

/// User beats domain beats global, each key on its own; `store` is empty.
fn inheritance(store: &dyn Store) {
    let settings = Settings::new(store);
    let alice = user("alice@example.com");
    let bob = user("bob@example.com");
    let carol = user("carol@other.example");
    let example = domain("example.com");
    settings
        .set_text(&SettingScope::Global, SettingKey::Encrypt, "never")
        .unwrap();
    settings
        .set_text(&SettingScope::Global, SettingKey::Cipher, "aes-cbc")
        .unwrap();
    settings
        .set_text(&example, SettingKey::Encrypt, "if-possible")
        .unwrap();
    settings
        .set_text(&alice, SettingKey::Encrypt, "required")
        .unwrap();
    settings
        .set_text(&alice, SettingKey::SignatureHash, "sha384")
        .unwrap();
    let look = |scope: &SettingScope, key: SettingKey| {
        let e = settings.effective(scope, key).unwrap();
        (e.value.to_string(), e.source)
    };
    let s = |v: &str| v.to_string();
    // encrypt: user beats domain beats global.
    assert_eq!(
        look(&alice, SettingKey::Encrypt),
        (s("required"), Source::User)
    );
    assert_eq!(
        look(&bob, SettingKey::Encrypt),
        (s("if-possible"), Source::Domain)
    );
    assert_eq!(
        look(&example, SettingKey::Encrypt),
        (s("if-possible"), Source::Domain)
    );
    assert_eq!(
        look(&carol, SettingKey::Encrypt),
        (s("never"), Source::Global)
    );
    assert_eq!(
        look(&SettingScope::Global, SettingKey::Encrypt),
        (s("never"), Source::Global)
    );
    // Other keys for the same user: global, user, default.
    assert_eq!(
        look(&alice, SettingKey::Cipher),
        (s("aes-cbc"), Source::Global)
    );
    assert_eq!(
        look(&alice, SettingKey::SignatureHash),
        (s("sha384"), Source::User)
    );
    assert_eq!(
        look(&bob, SettingKey::SignatureHash),
        (s("sha256"), Source::Default)
    );
    assert_eq!(look(&alice, SettingKey::Sign), (s("on"), Source::Default));
    // The overridden levels are reported, most specific first.
    let e = settings.effective(&alice, SettingKey::Encrypt).unwrap();
    let levels: Vec<(Source, String)> = e
        .levels
        .iter()
        .map(|(src, v)| (*src, v.to_string()))
        .collect();
    assert_eq!(
        levels,
        [
            (Source::User, s("required")),
            (Source::Domain, s("if-possible")),
            (Source::Global, s("never")),
        ]
    );
    // Unset at the user: the domain's value shows through; at the domain: global.
    assert!(settings.unset(&alice, SettingKey::Encrypt).unwrap());
    assert_eq!(
        look(&alice, SettingKey::Encrypt),
        (s("if-possible"), Source::Domain)
    );
    assert!(settings.unset(&example, SettingKey::Encrypt).unwrap());
    assert_eq!(
        look(&alice, SettingKey::Encrypt),
        (s("never"), Source::Global)
    );
    assert!(!settings.unset(&example, SettingKey::Encrypt).unwrap());
    // The user stays after its settings go, and keeps the others.
    assert_eq!(settings.users().unwrap().len(), 1);
    assert_eq!(
        look(&alice, SettingKey::SignatureHash),
        (s("sha384"), Source::User)
    );
}

#[test]
fn user_beats_domain_beats_global_per_key_in_memory() {
    inheritance(&MemoryStore::new());
}

#[test]
fn user_beats_domain_beats_global_per_key_in_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(
        dir.path().join("s.db"),
        MasterKeySource::Provided(MasterKey::from_bytes([7; 32])),
    )
    .unwrap();
    inheritance(&store);
}

#[test]
fn a_users_domain_is_the_normalised_domain_part() {
    let store = MemoryStore::new();
    let settings = Settings::new(&store);
    settings
        .set_text(&domain("BÜCHER.example."), SettingKey::Sign, "off")
        .unwrap();
    assert_eq!(
        settings.domains().unwrap(),
        vec![DomainName::new("xn--bcher-kva.example").unwrap()]
    );
    let e = settings
        .effective(&user("Jörg@bücher.Example"), SettingKey::Sign)
        .unwrap();
    assert_eq!(
        (e.value, e.source),
        (SettingValue::Flag(false), Source::Domain)
    );
    // The local part is exact: another user, same domain.
    let e = settings
        .effective(&user("jörg@xn--bcher-kva.example"), SettingKey::Sign)
        .unwrap();
    assert_eq!(e.source, Source::Domain);
    // A sub-domain is another domain.
    let e = settings
        .effective(&user("x@mail.bücher.example"), SettingKey::Sign)
        .unwrap();
    assert_eq!(e.source, Source::Default);
}

#[test]
fn additional_certificates_add_up_over_all_levels() {
    let store = MemoryStore::new();
    let f = fixtures().unwrap();
    store
        .transaction(|tx| {
            for c in [&f.alice.cert, &f.bob.cert, &f.carol.cert, &f.ca.cert] {
                tx.put_certificate(c)?;
            }
            Ok(())
        })
        .unwrap();
    let [a, b, c, ca]: [Thumbprint; 4] = [
        *f.alice.cert.thumbprint(),
        *f.bob.cert.thumbprint(),
        *f.carol.cert.thumbprint(),
        *f.ca.cert.thumbprint(),
    ];
    let list = |t: &[Thumbprint]| SettingValue::Thumbprints(t.to_vec());
    let settings = Settings::new(&store);
    let key = SettingKey::AdditionalCertificates;
    let alice = user("alice@example.com");
    settings
        .set(&SettingScope::Global, key, &list(&[ca]))
        .unwrap();
    settings
        .set(&domain("example.com"), key, &list(&[b, ca]))
        .unwrap();
    settings.set(&alice, key, &list(&[c])).unwrap();
    let e = settings.effective(&alice, key).unwrap();
    assert_eq!(
        e.value,
        list(&[c, b, ca]),
        "all levels, most specific first, no repeats"
    );
    assert_eq!(e.source, Source::User);
    assert_eq!(
        e.levels,
        vec![
            (Source::User, list(&[c])),
            (Source::Domain, list(&[b, ca])),
            (Source::Global, list(&[ca])),
        ]
    );
    // Another user of the domain: domain + global.
    let e = settings.effective(&user("bob@example.com"), key).unwrap();
    assert_eq!((e.value, e.source), (list(&[b, ca]), Source::Domain));
    // Elsewhere: global only.
    let e = settings.effective(&user("x@example.org"), key).unwrap();
    assert_eq!((e.value, e.source), (list(&[ca]), Source::Global));
    // Setting a level replaces that level's list only.
    settings.set(&alice, key, &list(&[a])).unwrap();
    let e = settings.effective(&alice, key).unwrap();
    assert_eq!(e.value, list(&[a, b, ca]));
    // Nothing anywhere: the empty default.
    for s in [SettingScope::Global, domain("example.com"), alice.clone()] {
        settings.unset(&s, key).unwrap();
    }
    let e = settings.effective(&alice, key).unwrap();
    assert_eq!((e.value, e.source), (list(&[]), Source::Default));
}

#[test]
fn users_and_domains_are_created_on_first_use_and_removed_with_their_settings() {
    let store = MemoryStore::new();
    let settings = Settings::new(&store);
    let alice = EmailAddress::new("alice@example.com").unwrap();
    let example = DomainName::new("example.com").unwrap();
    settings
        .set_text(&SettingScope::User(alice.clone()), SettingKey::Sign, "off")
        .unwrap();
    assert_eq!(settings.users().unwrap(), vec![alice.clone()]);
    assert!(
        settings.domains().unwrap().is_empty(),
        "the user's domain is not added"
    );
    settings
        .set_text(
            &SettingScope::Domain(example.clone()),
            SettingKey::Sign,
            "on",
        )
        .unwrap();
    assert_eq!(settings.domains().unwrap(), vec![example.clone()]);
    // Explicit add: false when already there.
    assert!(!settings.add_user(&alice).unwrap());
    let bob = EmailAddress::new("bob@example.com").unwrap();
    assert!(settings.add_user(&bob).unwrap());
    assert_eq!(settings.users().unwrap(), vec![alice.clone(), bob.clone()]);
    assert!(!settings.add_domain(&example).unwrap());
    // Removing the user removes its setting: the domain's shows through.
    assert!(settings.remove_user(&alice).unwrap());
    assert!(!settings.remove_user(&alice).unwrap());
    let e = settings
        .effective(&SettingScope::User(alice.clone()), SettingKey::Sign)
        .unwrap();
    assert_eq!(
        (e.value, e.source),
        (SettingValue::Flag(true), Source::Domain)
    );
    // Removing the domain removes its setting, not its users.
    assert!(settings.remove_domain(&example).unwrap());
    assert_eq!(settings.users().unwrap(), vec![bob]);
    let e = settings
        .effective(&SettingScope::User(alice), SettingKey::Sign)
        .unwrap();
    assert_eq!(e.source, Source::Default);
    assert!(snapshot(&store).iter().all(|l| !l.contains("sign")));
}

#[test]
fn bad_changes_are_refused_and_leave_the_store_as_it_was() {
    let store = MemoryStore::new();
    let f = fixtures().unwrap();
    store
        .transaction(|tx| tx.put_certificate(&f.alice.cert).map(|_| ()))
        .unwrap();
    let settings = Settings::new(&store);
    settings
        .set_text(&SettingScope::Global, SettingKey::Sign, "on")
        .unwrap();
    let before = snapshot(&store);
    let newcomer = user("new@example.net");
    let new_domain = domain("example.net");
    let unknown = *f.bob.cert.thumbprint();
    let cases: Vec<(SettingScope, SettingKey, SettingValue, ErrorKind, &str)> = vec![
        (
            newcomer.clone(),
            SettingKey::Sign,
            SettingValue::Encrypt(EncryptPolicy::Never),
            ErrorKind::InvalidArgument,
            "sign takes on or off",
        ),
        (
            newcomer.clone(),
            SettingKey::Revocation,
            SettingValue::Revocation(RevocationMode::Required),
            ErrorKind::InvalidArgument,
            "revocation is a global setting",
        ),
        (
            new_domain.clone(),
            SettingKey::Revocation,
            SettingValue::Revocation(RevocationMode::Required),
            ErrorKind::InvalidArgument,
            "cannot be set for a domain",
        ),
        (
            newcomer.clone(),
            SettingKey::AdditionalCertificates,
            SettingValue::Thumbprints(vec![]),
            ErrorKind::InvalidArgument,
            "the list is empty",
        ),
        (
            new_domain.clone(),
            SettingKey::AdditionalCertificates,
            SettingValue::Thumbprints(vec![*f.alice.cert.thumbprint(), unknown]),
            ErrorKind::NotFound,
            "import the certificate first",
        ),
    ];
    for (scope, key, value, kind, message) in cases {
        let err = settings.set(&scope, key, &value).unwrap_err();
        assert_eq!(err.kind(), kind, "{err}");
        assert!(err.to_string().contains(message), "{err}");
        assert_eq!(snapshot(&store), before, "{scope} {key}");
    }
    // Text that does not parse.
    let err = settings
        .set_text(&newcomer, SettingKey::Cipher, "rot13")
        .unwrap_err();
    assert!(
        err.to_string().contains("aes-cbc, aes-gcm or auto"),
        "{err}"
    );
    // Unsetting a global-only key below global is refused too.
    let err = settings
        .unset(&newcomer, SettingKey::Revocation)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert_eq!(snapshot(&store), before);
}

#[test]
fn revocation_mode_is_the_global_setting() {
    let store = MemoryStore::new();
    let settings = Settings::new(&store);
    assert_eq!(
        store.read_transaction(|tx| revocation_mode(tx)).unwrap(),
        RevocationMode::BestEffort
    );
    settings
        .set_text(&SettingScope::Global, SettingKey::Revocation, "required")
        .unwrap();
    assert_eq!(
        settings.revocation_mode().unwrap(),
        RevocationMode::Required
    );
    // Every scope sees the global value.
    let e = settings
        .effective(&user("a@example.com"), SettingKey::Revocation)
        .unwrap();
    assert_eq!(
        (e.value, e.source),
        (
            SettingValue::Revocation(RevocationMode::Required),
            Source::Global
        )
    );
    // A value put below global by hand (through the raw store) is not consulted.
    store
        .transaction(|tx| {
            let d = DomainName::new("example.com")?;
            tx.put_domain(&d)?;
            tx.put_setting(&SettingScope::Domain(d), "revocation", "best-effort")
        })
        .unwrap();
    let e = settings
        .effective(&user("a@example.com"), SettingKey::Revocation)
        .unwrap();
    assert_eq!(e.source, Source::Global);
    assert!(
        settings
            .unset(&SettingScope::Global, SettingKey::Revocation)
            .unwrap()
    );
    assert_eq!(
        settings.revocation_mode().unwrap(),
        RevocationMode::BestEffort
    );
}

#[test]
fn set_and_unset_compose_in_a_callers_transaction() {
    let store = MemoryStore::new();
    let alice = user("alice@example.com");
    // A failing transaction keeps none of its changes, including the user created on first
    // use.
    let err = store
        .transaction(|tx| {
            set(tx, &alice, SettingKey::Sign, &SettingValue::Flag(false))?;
            set(
                tx,
                &SettingScope::Global,
                SettingKey::Encrypt,
                &SettingValue::Encrypt(EncryptPolicy::Required),
            )?;
            assert_eq!(
                effective(tx, &alice, SettingKey::Sign)?.source,
                Source::User
            );
            set(tx, &alice, SettingKey::Cipher, &SettingValue::Flag(true))
        })
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(snapshot(&store).is_empty());
    store
        .transaction(|tx| {
            set(tx, &alice, SettingKey::Sign, &SettingValue::Flag(false))?;
            assert!(unset(tx, &alice, SettingKey::Sign)?);
            set(
                tx,
                &alice,
                SettingKey::AutoSelect,
                &SettingValue::Flag(false),
            )
        })
        .unwrap();
    let stored_here = Settings::new(&store).stored(&alice).unwrap();
    assert_eq!(
        stored_here,
        vec![(SettingKey::AutoSelect, SettingValue::Flag(false))]
    );
}

#[test]
fn an_unreadable_stored_value_is_a_storage_error() {
    let store = MemoryStore::new();
    store
        .transaction(|tx| tx.put_setting(&SettingScope::Global, "sign", "maybe"))
        .unwrap();
    let err = Settings::new(&store)
        .effective(&user("a@example.com"), SettingKey::Sign)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage);
    assert!(err.to_string().contains("setting sign for global"), "{err}");
    // Unknown keys (from a newer version, say) are left alone by show.
    store
        .transaction(|tx| {
            tx.delete_setting(&SettingScope::Global, "sign")?;
            tx.put_setting(&SettingScope::Global, "future-key", "x")
        })
        .unwrap();
    let all = store
        .read_transaction(|tx: &dyn ReadTransaction| show(tx, &SettingScope::Global))
        .unwrap();
    assert_eq!(all.len(), SettingKey::ALL.len());
}
