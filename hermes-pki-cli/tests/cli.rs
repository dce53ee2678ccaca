//! End-to-end tests of the `hermes-pki` binary: every command, with its human and JSON output,
//! and bad input for each (missing file, wrong password, garbage, unknown CA) with the exit code,
//! the message, and the store unchanged afterwards. Each test works in its own temporary
//! directory; EC keys keep them fast.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use tempfile::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_hermes-pki");
const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");

/// A working directory with a store in it.
struct Env {
    dir: TempDir,
    store: PathBuf,
}

impl Env {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        Env { dir, store }
    }

    /// Another store in the same working directory.
    fn other(&self, name: &str) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let store = self.dir.path().join(name);
        Env { dir, store }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn p(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }

    /// The binary, on this store, in the working directory, with a clean environment.
    fn cmd(&self) -> Command {
        let mut c = Command::new(BIN);
        c.current_dir(self.dir.path())
            .env_remove("HERMES_PKI_STORE")
            .env_remove("HERMES_PKI_ALLOW_KEY_EXPORT")
            // CRL downloads from 127.0.0.1 go straight there, whatever the machine's proxy.
            .env_remove("HTTP_PROXY")
            .env_remove("http_proxy")
            .env_remove("ALL_PROXY")
            .env_remove("all_proxy")
            .arg("--store")
            .arg(&self.store)
            .timeout(Duration::from_secs(120));
        c
    }

    /// Runs a command that must succeed; its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.cmd().args(args).assert().success();
        String::from_utf8(out.get_output().stdout.clone()).unwrap()
    }

    /// Runs a command with --json that must succeed; its document.
    fn json(&self, args: &[&str]) -> Value {
        let out = self.cmd().arg("--json").args(args).assert().success();
        serde_json::from_slice(&out.get_output().stdout).unwrap()
    }

    /// Everything the store holds, as the list commands show it ("no store" where there is
    /// none: the list commands refuse a missing store).
    fn snapshot(&self) -> Value {
        if !self.store.join("hermes.db").exists() {
            return Value::from("no store");
        }
        let mut all = serde_json::Map::new();
        for group in ["ca", "cert", "crl", "root", "ctl"] {
            all.insert(group.into(), self.json(&[group, "list"]));
        }
        Value::Object(all)
    }

    /// Runs a command that must fail with `code`, saying `message` on stderr, and leave the
    /// store as it was.
    fn fails(&self, args: &[&str], code: i32, message: &str) {
        let before = self.snapshot();
        self.cmd()
            .args(args)
            .assert()
            .code(code)
            .stderr(predicate::str::contains(message));
        assert_eq!(
            self.snapshot(),
            before,
            "the store changed after the failed `{}`",
            args.join(" ")
        );
    }

    /// A root CA with an issuing intermediate, EC P-256.
    fn with_ca(&self) -> Value {
        self.json(&[
            "ca",
            "create",
            "--cn",
            "Test Root",
            "--intermediate-cn",
            "Test Mail CA",
            "--key-type",
            "ec-p256",
        ])
    }

    /// Issues an EC certificate; its JSON.
    fn issue(&self, email: &str, extra: &[&str]) -> Value {
        let mut args = vec![
            "issue",
            "--email",
            email,
            "--cn",
            "User",
            "--key-type",
            "ec-p256",
        ];
        args.extend_from_slice(extra);
        let doc = self.json(&args);
        doc["issued"][0].clone()
    }

    fn write(&self, name: &str, bytes: &[u8]) -> String {
        std::fs::write(self.path(name), bytes).unwrap();
        self.p(name)
    }
}

fn data(name: &str) -> String {
    Path::new(DATA).join(name).display().to_string()
}

fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

// --- help and usage ---------------------------------------------------------------------------

#[test]
fn help_names_every_command_and_flag() {
    let env = Env::new();
    let help = |args: &[&str]| -> String {
        let out = env.cmd().args(args).arg("--help").assert().success();
        String::from_utf8(out.get_output().stdout.clone()).unwrap()
    };
    let top = help(&[]);
    for word in [
        "ca",
        "issue",
        "cert",
        "root",
        "ctl",
        "crl",
        "smime",
        "cms",
        "settings",
        "user",
        "domain",
        "demo",
        "--store",
        "--json",
        "HERMES_PKI_STORE",
        "./hermes-data",
        "Exit codes",
    ] {
        assert!(
            top.contains(word),
            "`hermes-pki --help` lacks {word}:\n{top}"
        );
    }
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["ca"],
            &[
                "create",
                "import",
                "list",
                "renew",
                "delete",
                "set-default",
                "export",
                "export-key",
            ],
        ),
        (
            &["ca", "create"],
            &[
                "--cn",
                "--org",
                "--country",
                "--email",
                "--key-size",
                "--key-type",
                "--years",
                "--intermediate-cn",
                "--default",
            ],
        ),
        (
            &["ca", "import"],
            &["--cert", "--key", "--password", "--default"],
        ),
        (&["ca", "export"], &["--out", "--chain", "--der"]),
        (
            &["ca", "export-key"],
            &["HERMES_PKI_ALLOW_KEY_EXPORT", "--out", "--password"],
        ),
        (
            &["issue"],
            &[
                "--email",
                "--cn",
                "--ca",
                "--days",
                "--key-size",
                "--key-type",
                "--crl-dp",
                "--p12",
                "--password",
                "--generate-password",
                "--csv",
                "--preview",
                "--skip-existing",
            ],
        ),
        (&["cert"], &["import", "list", "show", "export", "validate"]),
        (&["cert", "import"], &["FILE", "--password", ".p12"]),
        (
            &["cert", "list"],
            &["--email", "--expired", "--with-key", "unexpired"],
        ),
        (
            &["cert", "export"],
            &["--p12", "--password", "--out", "--der"],
        ),
        (
            &["cert", "validate"],
            &["--usage", "--at", "sign", "encrypt", "any"],
        ),
        (&["root"], &["import", "list"]),
        (&["ctl"], &["add", "remove", "list"]),
        (
            &["ctl", "add"],
            &["--white", "--black", "--allow-expired", "THUMBPRINT|FILE"],
        ),
        (&["crl"], &["create", "export", "import", "list", "refresh"]),
        (
            &["crl", "create"],
            &[
                "--ca",
                "--revoke",
                "--next-update-days",
                "--new",
                "--reason",
            ],
        ),
        (&["crl", "export"], &["--out", "--pem"]),
        (&["crl", "refresh"], &["--force"]),
        (
            &["smime"],
            &[
                "sign",
                "encrypt",
                "decrypt",
                "verify",
                "sign-encrypt",
                "decrypt-verify",
                "protect",
                "open",
            ],
        ),
        (
            &["smime", "sign"],
            &["--signer", "--opaque", "<IN>", "<OUT>"],
        ),
        (&["smime", "encrypt"], &["--to", "--gcm", "--oaep"]),
        (&["cms"], &["sign", "verify", "encrypt", "decrypt"]),
        (&["cms", "sign"], &["--signer", "--detached"]),
        (&["cms", "verify"], &["--content"]),
        (&["demo"], &["--store"]),
    ];
    for (args, words) in cases {
        let text = help(args);
        for w in *words {
            assert!(
                text.contains(w),
                "`hermes-pki {} --help` lacks {w}:\n{text}",
                args.join(" ")
            );
        }
    }
}

#[test]
fn usage_errors_exit_2() {
    let env = Env::new();
    env.cmd()
        .args(["ca", "frobnicate"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unrecognized subcommand"));
    env.cmd()
        .args(["issue", "--email", "a@example.com"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--cn"));
    env.cmd()
        .args(["ctl", "add", "AB", "--black", "--allow-expired"])
        .assert()
        .code(2);
    env.cmd()
        .args(["cert", "validate", "x", "--usage", "fly"])
        .assert()
        .code(2);
    env.cmd().assert().code(2);
    env.cmd()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::contains("hermes-pki"));
}

// --- demo -------------------------------------------------------------------------------------

#[test]
fn demo_walks_the_job_and_shows_the_revocation() {
    // As from a fresh clone: no store anywhere, no environment.
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .current_dir(dir.path())
        .env_remove("HERMES_PKI_STORE")
        .arg("demo")
        .timeout(Duration::from_secs(120))
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    for want in [
        "Create a certificate authority",
        "EC P-256",
        "alice@example.com",
        "bob@example.com",
        "Bob decrypted it with his stored key",
        "Alice's signature is valid",
        "Revoke Bob's certificate with a CRL",
        "bob@example.com: NOT VALID",
        "is revoked since",
        "keyCompromise",
        "$ hermes-pki smime protect --from alice@example.com --to bob@example.com",
        "encrypted to 2 certificates of bob@example.com",
        "Bob's key 1 alone decrypts it",
        "Bob's key 2 alone decrypts it",
        "$ hermes-pki settings set --domain example.com additional-certificates",
        "encrypted to 3 recipient infos now",
        "the escrow key alone decrypts it",
        "$ hermes-pki root import other-org-root.pem",
        "carol@example.org: NOT VALID: certificate not valid",
        "carol@example.org: VALID signer; add-signer-certificates is on (default)",
        "encrypted to carol@example.org's certificate",
        "$ hermes-pki smime open forged.eml opened.eml",
        "NOT VALID: signer is not the sender",
        "demo finished: every step did what it should",
    ] {
        assert!(text.contains(want), "demo output lacks {want:?}:\n{text}");
    }
    assert!(
        !dir.path().join("hermes-data").exists(),
        "the demo must not touch ./hermes-data"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn demo_json_and_its_own_store() {
    let env = Env::new();
    let doc = env.json(&["demo"]);
    assert_eq!(doc["ok"], true);
    let steps = doc["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 13);
    assert!(steps.iter().all(|s| s["ok"] == true));
    assert!(str_of(&steps[4]["title"]).contains("Revoke"));
    let details = |i: usize| -> Vec<String> {
        steps[i]["details"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| str_of(d).to_string())
            .collect()
    };
    let has = |i: usize, want: &str| {
        assert!(
            details(i).iter().any(|d| d.contains(want)),
            "step {} lacks {want:?}: {:?}",
            i + 1,
            details(i)
        );
    };
    has(7, "encrypted to 2 certificates of bob@example.com");
    has(7, "Bob's key 2 alone decrypts it");
    has(8, "encrypted to 3 recipient infos now");
    has(8, "the escrow key alone decrypts it");
    has(10, "carol@example.org: VALID signer");
    has(11, "encrypted to carol@example.org's certificate");
    has(12, "NOT VALID: signer is not the sender");
    // Carol's root is a trust anchor of the demo store now; her CA is not one of its CAs.
    let roots = env.ok(&["root", "list"]);
    assert!(roots.contains("Other Org Root CA"), "{roots}");
    let certs = env.ok(&["cert", "list"]);
    assert!(certs.contains("carol@example.org"), "{certs}");
    // It used the empty --store it was given, which now holds the demo's CAs.
    assert_eq!(doc["temporary"], false);
    assert_eq!(
        env.json(&["ca", "list"])["cas"].as_array().unwrap().len(),
        2
    );
    // A store that is not empty is refused.
    env.fails(&["demo"], 1, "not empty");
}

// --- ca ---------------------------------------------------------------------------------------

#[test]
fn ca_create_list_default_renew_export_delete() {
    let env = Env::new();
    let text = env.ok(&[
        "ca",
        "create",
        "--cn",
        "Root One",
        "--org",
        "Example",
        "--country",
        "de",
        "--email",
        "pki@example.com",
        "--key-type",
        "ec-p256",
        "--years",
        "2",
    ]);
    assert!(
        text.contains("created CA 1 \"Root One\" (EC P-256"),
        "{text}"
    );
    assert!(text.contains("is the default CA"), "{text}");
    let doc = env.with_ca();
    assert_eq!(doc["root"]["name"], "Test Root");
    assert_eq!(doc["intermediate"]["name"], "Test Mail CA");
    assert_eq!(doc["intermediate"]["parent"], 2);
    assert_eq!(doc["default"], 1, "the first CA stays the default");

    let list = env.json(&["ca", "list"]);
    let cas = list["cas"].as_array().unwrap();
    assert_eq!(cas.len(), 3);
    assert_eq!(
        cas[0]["subject"],
        "emailAddress=pki@example.com,CN=Root One,O=Example,C=DE"
    );
    assert_eq!(cas[0]["default"], true);
    let text = env.ok(&["ca", "list"]);
    assert!(
        text.contains("Test Mail CA") && text.contains("under CA 2"),
        "{text}"
    );

    // set-default by name, case-insensitively.
    let doc = env.json(&["ca", "set-default", "test mail ca"]);
    assert_eq!(doc["ca"]["default"], true);
    assert_eq!(env.json(&["ca", "list"])["cas"][2]["default"], true);
    assert_eq!(env.json(&["ca", "list"])["cas"][0]["default"], false);

    // renew: same name, new serial, later end.
    let before = env.json(&["ca", "list"])["cas"][0].clone();
    let doc = env.json(&["ca", "renew", "1"]);
    assert_eq!(doc["ca"]["name"], "Root One");
    assert_ne!(doc["ca"]["serial"], before["serial"]);
    assert!(str_of(&doc["ca"]["not_after"]) > str_of(&before["not_after"]));
    assert!(
        env.ok(&["ca", "renew", "Root One"])
            .contains("renewed CA 1 \"Root One\"")
    );

    // export: PEM on stdout, a file, DER, the chain.
    let pem = env.ok(&["ca", "export", "Test Mail CA"]);
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----") && pem.matches("BEGIN").count() == 1);
    let chain = env.ok(&["ca", "export", "3", "--chain"]);
    assert_eq!(chain.matches("BEGIN CERTIFICATE").count(), 2);
    let out = env.p("ca.der");
    assert!(
        env.ok(&["ca", "export", "3", "--der", "--out", &out])
            .contains("wrote 1 certificate")
    );
    let der = std::fs::read(&out).unwrap();
    assert_eq!(der[0], 0x30);
    let doc = env.json(&["ca", "export", "3"]);
    assert_eq!(doc["pem"].as_str().unwrap(), pem);

    // delete: refused for a CA with a CA under it; fine for a CA with nothing issued.
    env.fails(&["ca", "delete", "Test Root"], 1, "delete that one first");
    let doc = env.json(&["ca", "delete", "Test Mail CA"]);
    assert_eq!(doc["deleted"]["id"], 3);
    assert!(
        env.ok(&["ca", "delete", "2"])
            .contains("deleted CA 2 \"Test Root\"")
    );
    assert_eq!(
        env.json(&["ca", "list"])["cas"].as_array().unwrap().len(),
        1
    );
}

#[test]
fn ca_failures_leave_the_store_alone() {
    let env = Env::new();
    env.with_ca();
    env.issue("alice@example.com", &[]);
    env.fails(
        &["ca", "create", "--cn", "test root", "--key-type", "ec-p256"],
        1,
        "already exists",
    );
    env.fails(
        &[
            "ca",
            "create",
            "--cn",
            "X",
            "--country",
            "XX",
            "--key-type",
            "ec-p256",
        ],
        1,
        "ISO 3166-1",
    );
    env.fails(
        &["ca", "create", "--cn", "X", "--key-size", "1024"],
        1,
        "too weak",
    );
    env.fails(
        &[
            "ca",
            "create",
            "--cn",
            "X",
            "--key-type",
            "ec-p256",
            "--key-size",
            "2048",
        ],
        1,
        "--key-size is the size of an RSA key",
    );
    env.fails(
        &[
            "ca",
            "create",
            "--cn",
            "X",
            "--key-type",
            "ec-p256",
            "--years",
            "9",
        ],
        1,
        "1 to 5",
    );
    for cmd in [
        vec!["ca", "renew", "nope"],
        vec!["ca", "delete", "42"],
        vec!["ca", "set-default", "Nope CA"],
        vec!["ca", "export", "nope"],
        vec!["ca", "export-key", "nope"],
    ] {
        env.fails(&cmd, 1, "no CA with id or name");
        env.fails(&cmd, 1, "hermes-pki ca list");
    }
    env.fails(
        &["ca", "delete", "Test Mail CA"],
        1,
        "issued certificate(s) on record",
    );
    env.fails(
        &["ca", "export-key", "1"],
        1,
        "HERMES_PKI_ALLOW_KEY_EXPORT=1",
    );
    let out = env.p("nodir/ca.pem");
    env.fails(&["ca", "export", "1", "--out", &out], 1, "cannot write");
}

#[test]
fn ca_export_key_and_import_elsewhere() {
    let env = Env::new();
    env.with_ca();
    let cert = env.p("root.pem");
    env.ok(&["ca", "export", "Test Root", "--out", &cert]);
    let key = env.p("root.key");
    let text = env
        .cmd()
        .env("HERMES_PKI_ALLOW_KEY_EXPORT", "1")
        .args([
            "ca",
            "export-key",
            "Test Root",
            "--out",
            &key,
            "--password",
            "s3cret",
        ])
        .assert()
        .success();
    assert!(String::from_utf8_lossy(&text.get_output().stdout).contains("(encrypted)"));
    assert!(
        std::fs::read_to_string(&key)
            .unwrap()
            .contains("BEGIN ENCRYPTED PRIVATE KEY")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "a key file is for its owner only");
    }
    let clear = env
        .cmd()
        .env("HERMES_PKI_ALLOW_KEY_EXPORT", "1")
        .args(["--json", "ca", "export-key", "1"])
        .assert()
        .success();
    let doc: Value = serde_json::from_slice(&clear.get_output().stdout).unwrap();
    assert!(str_of(&doc["pem"]).contains("BEGIN PRIVATE KEY"));
    assert_eq!(doc["encrypted"], false);
    let clear_key = env.write("clear.key", str_of(&doc["pem"]).as_bytes());

    let other = env.other("other");
    let garbage = env.write("garbage.pem", b"this is not a certificate");
    let inter = env.p("inter.pem");
    env.ok(&["ca", "export", "Test Mail CA", "--out", &inter]);
    other.fails(
        &[
            "ca",
            "import",
            "--cert",
            &env.p("missing.pem"),
            "--key",
            &key,
        ],
        1,
        "cannot read",
    );
    other.fails(
        &[
            "ca",
            "import",
            "--cert",
            &cert,
            "--key",
            &env.p("missing.key"),
        ],
        1,
        "cannot read",
    );
    other.fails(
        &["ca", "import", "--cert", &garbage, "--key", &key],
        1,
        "malformed CA certificate",
    );
    other.fails(
        &["ca", "import", "--cert", &cert, "--key", &garbage],
        1,
        "could not be read",
    );
    other.fails(
        &["ca", "import", "--cert", &cert, "--key", &key],
        1,
        "--password",
    );
    other.fails(
        &[
            "ca",
            "import",
            "--cert",
            &cert,
            "--key",
            &key,
            "--password",
            "wrong",
        ],
        1,
        "wrong password",
    );
    other.fails(
        &["ca", "import", "--cert", &inter, "--key", &clear_key],
        1,
        "does not match",
    );
    let doc = other.json(&[
        "ca",
        "import",
        "--cert",
        &cert,
        "--key",
        &key,
        "--password",
        "s3cret",
        "--default",
    ]);
    assert_eq!(doc["ca"]["name"], "Test Root");
    assert_eq!(doc["ca"]["imported"], true);
    assert_eq!(doc["ca"]["default"], true);
    other.fails(
        &["ca", "import", "--cert", &cert, "--key", &clear_key],
        1,
        "already",
    );
    // The imported CA issues.
    let alice = other.issue("alice@example.com", &[]);
    assert_eq!(alice["issuer"], "CN=Test Root");
}

// --- issue ------------------------------------------------------------------------------------

#[test]
fn issue_with_pkcs12_and_in_bulk() {
    let env = Env::new();
    env.with_ca();
    let text = env.ok(&[
        "issue",
        "--email",
        "alice@example.com",
        "--cn",
        "Alice Example",
        "--key-type",
        "ec-p256",
        "--days",
        "30",
        "--crl-dp",
        "http://crl.example.com/mail.crl",
        "--ca",
        "Test Mail CA",
    ]);
    assert!(
        text.contains("for alice@example.com (EC P-256, serial"),
        "{text}"
    );
    assert!(text.contains("by CA 2"), "{text}");

    // Default key: RSA-2048, as the library issues.
    let doc = env.json(&["issue", "--email", "rsa@example.com", "--cn", "R"]);
    assert_eq!(doc["issued"][0]["key_algorithm"], "RSA-2048");

    let p12 = env.p("bob.p12");
    let doc = env.json(&[
        "issue",
        "--email",
        "bob@example.com",
        "--cn",
        "Bob",
        "--key-type",
        "ec-p384",
        "--p12",
        &p12,
        "--generate-password",
        "20",
    ]);
    let bob = &doc["issued"][0];
    assert_eq!(bob["emails"][0], "bob@example.com");
    assert_eq!(bob["has_key"], true);
    assert_eq!(bob["key_algorithm"], "EC P-384");
    assert_eq!(bob["smime_encryption"], true);
    let password = str_of(&doc["password"]).to_string();
    assert_eq!(password.len(), 20);
    // The PKCS#12 file carries the key: another store takes it in with the password.
    let other = env.other("other");
    let imported = other.json(&["cert", "import", &p12, "--password", &password]);
    assert_eq!(imported["private_keys"], 1);
    assert_eq!(
        imported["certificates"], 3,
        "bob, the intermediate and the root"
    );
    let listed = other.json(&["cert", "list", "--with-key"]);
    assert_eq!(listed["certificates"][0]["thumbprint"], bob["thumbprint"]);

    let p12b = env.p("carol.p12");
    let text = env.ok(&[
        "issue",
        "--email",
        "carol@example.com",
        "--cn",
        "Carol",
        "--key-type",
        "ec-p256",
        "--p12",
        &p12b,
        "--password",
        "given",
    ]);
    assert!(text.contains("wrote PKCS#12 file"));
    assert!(
        !text.contains("PKCS#12 password"),
        "a given password is not echoed"
    );

    let csv = env.write(
        "users.csv",
        b"email,cn\nd1@example.com,Dee One\n\nd2@example.com,\"Dee Two\"\n",
    );
    let doc = env.json(&["issue", "--csv", &csv, "--key-type", "ec-p256"]);
    let issued = doc["issued"].as_array().unwrap();
    assert_eq!(issued.len(), 2);
    assert_eq!(
        issued[1]["subject"],
        "emailAddress=d2@example.com,CN=Dee Two"
    );
    assert_eq!(
        env.json(&["cert", "list"])["certificates"]
            .as_array()
            .unwrap()
            .len(),
        8
    );
}

#[test]
fn issue_failures_leave_the_store_alone() {
    let env = Env::new();
    env.ok(&["store", "init"]);
    env.fails(
        &[
            "issue",
            "--email",
            "a@example.com",
            "--cn",
            "A",
            "--key-type",
            "ec-p256",
        ],
        1,
        "there is no CA to issue from",
    );
    env.with_ca();
    env.fails(
        &[
            "issue",
            "--email",
            "a@example.com",
            "--cn",
            "A",
            "--ca",
            "Nope",
            "--key-type",
            "ec-p256",
        ],
        1,
        "no CA with id or name \"Nope\"",
    );
    env.fails(
        &[
            "issue",
            "--email",
            "not-an-address",
            "--cn",
            "A",
            "--key-type",
            "ec-p256",
        ],
        1,
        "email address",
    );
    env.fails(
        &[
            "issue",
            "--email",
            "a@example.com",
            "--cn",
            "A",
            "--key-size",
            "1024",
        ],
        1,
        "too weak",
    );
    env.fails(
        &[
            "issue",
            "--email",
            "a@example.com",
            "--cn",
            "A",
            "--days",
            "0",
            "--key-type",
            "ec-p256",
        ],
        1,
        "1 to 3650",
    );
    env.fails(
        &[
            "issue",
            "--email",
            "a@example.com",
            "--cn",
            "A",
            "--key-type",
            "ec-p256",
            "--crl-dp",
            "ldap://x",
        ],
        1,
        "http://",
    );
    let p12 = env.p("no/such/dir/a.p12");
    env.fails(
        &[
            "issue",
            "--email",
            "a@example.com",
            "--cn",
            "A",
            "--key-type",
            "ec-p256",
            "--p12",
            &p12,
        ],
        1,
        "cannot write",
    );
    let p12 = env.p("a.p12");
    env.fails(
        &[
            "issue",
            "--email",
            "a@example.com",
            "--cn",
            "A",
            "--key-type",
            "ec-p256",
            "--p12",
            &p12,
            "--generate-password",
            "3",
        ],
        1,
        "password length",
    );
    assert!(!Path::new(&p12).exists(), "no PKCS#12 file is left behind");
    env.fails(&["issue", "--csv", &env.p("missing.csv")], 1, "cannot read");
    let bad = env.write("bad.csv", b"a@example.com,A\nno comma here\n");
    env.fails(
        &["issue", "--csv", &bad, "--key-type", "ec-p256"],
        1,
        "no EMAIL column",
    );
    let bad = env.write("bad2.csv", b"email,cn\na@example.com,A\nb@,B\n");
    env.fails(
        &["issue", "--csv", &bad, "--key-type", "ec-p256"],
        1,
        "line 3: b@:",
    );
}

// --- cert -------------------------------------------------------------------------------------

#[test]
fn cert_import_pem_der_p7b_p12_and_list() {
    let env = Env::new();
    let src = env.other("src");
    src.with_ca();
    let alice = src.issue("alice@example.com", &[]);
    let pem = src.p("alice.pem");
    src.ok(&["cert", "export", "alice@example.com", "--out", &pem]);
    let der = src.p("root.der");
    src.ok(&["ca", "export", "Test Root", "--der", "--out", &der]);

    let text = env.ok(&["cert", "import", &pem, &der]);
    assert!(
        text.contains("imported 2 certificate(s) from 2 file(s): 2 new, 0 already stored"),
        "{text}"
    );
    let doc = env.json(&["cert", "import", &pem, &data("bundle.p7b")]);
    assert_eq!(doc["certificates"], 3);
    assert_eq!(doc["new"], 2);
    assert_eq!(doc["files"][0]["certificates"][0]["new"], false);
    let doc = env.json(&[
        "cert",
        "import",
        &data("openssl-alice.p12"),
        "--password",
        "test",
    ]);
    assert_eq!(doc["private_keys"], 1);
    assert_eq!(doc["files"][0]["private_key"]["new"], true);
    // stdin
    let out = env
        .cmd()
        .args(["--json", "cert", "import", "-"])
        .write_stdin(std::fs::read(data("alice-expired.pem")).unwrap())
        .assert()
        .success();
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(doc["files"][0]["file"], "stdin");

    let all = env.json(&["cert", "list"]);
    assert_eq!(all["certificates"].as_array().unwrap().len(), 7);
    let mine = env.json(&["cert", "list", "--email", "alice@example.com"]);
    let mine = mine["certificates"].as_array().unwrap();
    assert_eq!(mine.len(), 3, "ours, openssl's and the expired one");
    assert!(mine.iter().any(|c| c["thumbprint"] == alice["thumbprint"]));
    let keyed = env.json(&["cert", "list", "--with-key"]);
    assert_eq!(keyed["certificates"].as_array().unwrap().len(), 1);
    assert_eq!(keyed["certificates"][0]["has_key"], true);
    // (The bundle's certificates expire on 2026-12-23: count on the others only.)
    let expired = env.json(&["cert", "list", "--expired", "expired"]);
    let expired = expired["certificates"].as_array().unwrap();
    assert!(
        expired
            .iter()
            .any(|c| c["not_after"] == "2020-01-01T00:00:00Z")
    );
    assert!(
        !expired
            .iter()
            .any(|c| c["thumbprint"] == alice["thumbprint"])
    );
    let unexpired = env.json(&["cert", "list", "--expired", "unexpired"]);
    let unexpired = unexpired["certificates"].as_array().unwrap();
    assert!(
        unexpired
            .iter()
            .any(|c| c["thumbprint"] == alice["thumbprint"])
    );
    assert_eq!(expired.len() + unexpired.len(), 7);
    let text = env.ok(&["cert", "list", "--expired", "expired"]);
    assert!(
        text.contains("(expired)") && text.contains("1 certificate(s)"),
        "{text}"
    );
}

#[test]
fn cert_import_failures_store_nothing() {
    let env = Env::new();
    env.with_ca();
    let good = env.p("mail.pem");
    env.ok(&["ca", "export", "Test Mail CA", "--out", &good]);
    let other = env.other("other");
    let missing = env.p("missing.pem");
    other.fails(&["cert", "import", &good, &missing], 1, "cannot read");
    other.fails(
        &["cert", "import", &good, &missing],
        1,
        "nothing was imported",
    );
    let garbage = env.write(
        "garbage.pem",
        b"-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n",
    );
    other.fails(
        &["cert", "import", &good, &garbage],
        1,
        "no certificate found",
    );
    let garbage = env.write("garbage.bin", &[0x30, 0x03, 0x02, 0x01]);
    other.fails(&["cert", "import", &garbage], 1, "no certificate found");
    let p12 = data("openssl-alice.p12");
    other.fails(
        &["cert", "import", &good, &p12, "--password", "wrong"],
        1,
        "wrong password",
    );
    other.fails(&["cert", "import", &p12], 1, "its password is needed");
    let fake_p12 = env.write("fake.p12", b"garbage");
    other.fails(
        &["cert", "import", &fake_p12, "--password", "test"],
        1,
        "cannot import",
    );
    other.fails(
        &["cert", "import", &env.p("nowhere")],
        1,
        "check the file name",
    );
}

#[test]
fn cert_show_export_and_their_failures() {
    let env = Env::new();
    env.with_ca();
    let alice = env.issue("alice@example.com", &[]);
    let t = str_of(&alice["thumbprint"]).to_string();

    let text = env.ok(&["cert", "show", &t[..12]]);
    for want in [
        "subject      emailAddress=alice@example.com,CN=User",
        "private key  in the store",
        "S/MIME sign  yes",
        &t,
    ] {
        assert!(text.contains(want), "{want:?} missing:\n{text}");
    }
    let doc = env.json(&["cert", "show", "alice@example.com"]);
    assert_eq!(doc["certificate"]["thumbprint"], t.as_str());
    assert_eq!(doc["certificate"]["trust_anchor"], false);
    assert!(str_of(&doc["certificate"]["pem"]).contains("BEGIN CERTIFICATE"));
    // A trust anchor is found too; colons and lower case are fine.
    let root = env.json(&["ca", "list"])["cas"][0]["certificate"].clone();
    let colons = str_of(&root)
        .to_lowercase()
        .as_bytes()
        .chunks(2)
        .map(|c| String::from_utf8_lossy(c).to_string())
        .collect::<Vec<_>>()
        .join(":");
    assert_eq!(
        env.json(&["cert", "show", &colons])["certificate"]["trust_anchor"],
        true
    );

    let pem = env.ok(&["cert", "export", &t]);
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    let der = env.p("alice.der");
    env.ok(&[
        "cert",
        "export",
        "alice@example.com",
        "--der",
        "--out",
        &der,
    ]);
    assert_eq!(std::fs::read(&der).unwrap()[0], 0x30);
    let doc = env.json(&["cert", "export", &t]);
    assert_eq!(doc["pem"].as_str().unwrap(), pem);
    let p12 = env.p("alice.p12");
    let doc = env.json(&["cert", "export", &t, "--p12", &p12, "--password", "pw"]);
    assert_eq!(doc["p12"], p12.as_str());
    let other = env.other("other");
    let doc = other.json(&["cert", "import", &p12, "--password", "pw"]);
    assert_eq!(doc["private_keys"], 1);

    env.fails(
        &["cert", "show", "0123456789abcdef"],
        1,
        "no stored certificate matches",
    );
    env.fails(
        &["cert", "show", "nobody@example.com"],
        1,
        "no stored certificate matches",
    );
    env.fails(&["cert", "show", "xyz"], 1, "is not a certificate id");
    env.fails(
        &["cert", "export", "0123456789abcdef"],
        1,
        "hermes-pki cert list",
    );
    // A certificate without its key cannot go in a PKCS#12 file; no file is left behind.
    let pem_file = env.write("alice.pem", pem.as_bytes());
    let third = env.other("third");
    third.ok(&["cert", "import", &pem_file]);
    let p12b = env.p("nokey.p12");
    third.fails(
        &["cert", "export", &t, "--p12", &p12b, "--password", "pw"],
        1,
        "private key",
    );
    assert!(!Path::new(&p12b).exists());
    // No password and no terminal to ask: refused, naming the safe options.
    third.fails(
        &["cert", "export", &t, "--p12", &p12b],
        1,
        "--password-file FILE or --password-env VAR",
    );
    // The password from a file or the environment.
    let pw_file = env.write("pw.txt", b"pw\n");
    third.fails(
        &[
            "cert",
            "export",
            &t,
            "--p12",
            &p12b,
            "--password-file",
            &pw_file,
        ],
        1,
        "private key",
    );
    third.fails(
        &[
            "cert",
            "export",
            &t,
            "--p12",
            &p12b,
            "--password-env",
            "HERMES_PKI_TEST_NO_SUCH_VAR",
        ],
        1,
        "HERMES_PKI_TEST_NO_SUCH_VAR",
    );
    assert!(!Path::new(&p12b).exists());
}

#[test]
fn cert_validate_exit_codes_and_reasons() {
    let env = Env::new();
    env.with_ca();
    env.issue("alice@example.com", &[]);
    let file = env.p("alice.pem");
    env.ok(&["cert", "export", "alice@example.com", "--out", &file]);

    let text = env.ok(&["cert", "validate", "alice@example.com", "--usage", "sign"]);
    assert!(text.contains("VALID for S/MIME signing"), "{text}");
    assert!(text.contains("CN=Test Mail CA"), "{text}");
    let doc = env.json(&["cert", "validate", &file, "--usage", "encrypt"]);
    assert_eq!(doc["valid"], true);
    assert_eq!(doc["usage"], "encrypt");
    assert_eq!(doc["chain"].as_array().unwrap().len(), 2);
    // Before it was issued: not valid yet.
    let out = env
        .cmd()
        .args([
            "--json",
            "cert",
            "validate",
            &file,
            "--at",
            "2000-01-31T12:00:00+01:00",
        ])
        .assert()
        .code(3);
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(doc["at"], "2000-01-31T11:00:00Z");
    assert!(
        str_of(&doc["reasons"][0]).contains("is not valid before"),
        "{doc}"
    );

    // Not valid: exit 3, the reasons on stdout.
    env.cmd()
        .args([
            "cert",
            "validate",
            "alice@example.com",
            "--at",
            "2099-01-01",
        ])
        .assert()
        .code(3)
        .stdout(predicate::str::contains("NOT VALID").and(predicate::str::contains("expired on")));
    let out = env
        .cmd()
        .args(["--json", "cert", "validate", &data("alice-expired.pem")])
        .assert()
        .code(3);
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(doc["valid"], false);
    assert!(str_of(&doc["reasons"][0]).contains("no chain to a trusted root"));
    // A CA certificate is not good for S/MIME.
    env.cmd()
        .args(["cert", "validate", "Test Root", "--usage", "sign"])
        .assert()
        .code(1);
    let root = str_of(&env.json(&["ca", "list"])["cas"][0]["certificate"]).to_string();
    env.cmd()
        .args(["cert", "validate", &root, "--usage", "sign"])
        .assert()
        .code(3)
        .stdout(predicate::str::contains("NOT VALID"));

    env.fails(&["cert", "validate", &env.p("missing.pem")], 1, "no file");
    let garbage = env.write("garbage.pem", b"garbage");
    env.fails(&["cert", "validate", &garbage], 1, "no certificate found");
    env.fails(
        &["cert", "validate", "alice@example.com", "--at", "yesterday"],
        1,
        "RFC 3339",
    );
}

// --- root -------------------------------------------------------------------------------------

#[test]
fn root_import_list_and_failures() {
    let env = Env::new();
    env.ok(&["store", "init"]);
    let src = env.other("src");
    src.with_ca();
    src.issue("alice@example.com", &[]);
    let root = src.p("root.pem");
    src.ok(&["ca", "export", "Test Root", "--out", &root]);
    let chain = src.p("chain.pem");
    let alice = src.p("alice.pem");
    src.ok(&["cert", "export", "alice@example.com", "--out", &alice]);
    let mut bundle = std::fs::read(&alice).unwrap();
    bundle.extend(src.ok(&["ca", "export", "Test Mail CA"]).as_bytes());
    std::fs::write(&chain, bundle).unwrap();

    env.cmd()
        .args(["cert", "validate", &chain])
        .assert()
        .code(3)
        .stdout(predicate::str::contains("no chain to a trusted root"));
    let garbage = env.write("garbage.pem", b"garbage");
    env.fails(
        &["root", "import", &root, &garbage],
        1,
        "no certificate found",
    );
    env.fails(
        &["root", "import", &root, &env.p("missing.pem")],
        1,
        "cannot read",
    );
    env.fails(
        &["root", "import", &root, &alice],
        1,
        "not a CA certificate",
    );
    env.fails(&["root", "import", &alice], 1, "ctl add");

    let text = env.ok(&["root", "import", &root]);
    assert!(text.contains("1 trust anchor(s): 1 new"), "{text}");
    let doc = env.json(&["root", "import", &root]);
    assert_eq!(doc["new"], 0);
    let doc = env.json(&["root", "list"]);
    assert_eq!(doc["roots"][0]["subject"], "CN=Test Root");
    assert!(env.ok(&["root", "list"]).contains("CN=Test Root"));
    // The chain in the file now leads to a trust anchor.
    env.ok(&["cert", "validate", &chain, "--usage", "encrypt"]);
}

// --- ctl --------------------------------------------------------------------------------------

#[test]
fn ctl_add_remove_list_and_failures() {
    let env = Env::new();
    env.with_ca();
    let alice = env.issue("alice@example.com", &[]);
    let t = str_of(&alice["thumbprint"]).to_string();

    let text = env.ok(&["ctl", "add", &t[..16], "--black"]);
    assert!(text.contains("blacklisted"), "{text}");
    env.cmd()
        .args(["cert", "validate", "alice@example.com"])
        .assert()
        .code(3)
        .stdout(predicate::str::contains("is blacklisted"));
    let list = env.json(&["ctl", "list"]);
    let entries = list["entries"].as_array().unwrap();
    assert_eq!(
        entries.len(),
        3,
        "the two CAs are whitelisted, alice blacklisted"
    );
    let e = entries
        .iter()
        .find(|e| e["thumbprint"] == t.as_str())
        .unwrap();
    assert_eq!(e["status"], "blacklisted");
    assert_eq!(e["subject"], "emailAddress=alice@example.com,CN=User");

    let doc = env.json(&["ctl", "remove", "alice@example.com"]);
    assert_eq!(doc["removed"][0], t.as_str());
    env.ok(&["cert", "validate", "alice@example.com"]);

    // A whitelisted certificate from a file, and one only known by its thumbprint.
    let file = env.write(
        "expired.pem",
        &std::fs::read(data("alice-expired.pem")).unwrap(),
    );
    let doc = env.json(&["ctl", "add", &file, "--white", "--allow-expired"]);
    assert_eq!(doc["entries"][0]["allow_expired"], true);
    env.ok(&["cert", "validate", &file]);
    let unknown = "AB".repeat(64);
    env.ok(&["ctl", "add", &unknown, "--black"]);
    assert!(
        env.ok(&["ctl", "list"])
            .contains("(certificate not stored)")
    );

    env.fails(
        &["ctl", "remove", &"CD".repeat(64)],
        1,
        "not on the trust list",
    );
    env.fails(
        &["ctl", "remove", &unknown, &"CD".repeat(64)],
        1,
        "nothing was removed",
    );
    env.fails(
        &["ctl", "add", "nothing-like-an-id", "--white"],
        1,
        "is not a certificate id",
    );
    env.fails(
        &["ctl", "add", "0123456789abcdef", "--white"],
        1,
        "no stored certificate matches",
    );
    let garbage = env.write("garbage.pem", b"garbage");
    env.fails(
        &["ctl", "add", &garbage, "--white"],
        1,
        "no certificate found",
    );
}

// --- crl --------------------------------------------------------------------------------------

/// Serves `body` over HTTP on 127.0.0.1 for at most `requests` requests, then stops.
fn serve(body: Vec<u8>, requests: usize) -> (String, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/mail.crl", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/pkix-crl\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(&body);
        }
    });
    (url, handle)
}

#[test]
fn crl_create_export_import_list_and_revocation() {
    let env = Env::new();
    env.with_ca();
    let alice = env.issue("alice@example.com", &[]);
    let bob = env.issue("bob@example.com", &[]);
    let doc = env.json(&[
        "crl",
        "create",
        "--ca",
        "Test Mail CA",
        "--revoke",
        str_of(&bob["serial"]),
        "--reason",
        "keyCompromise",
        "--next-update-days",
        "3",
    ]);
    assert_eq!(doc["number"], 1);
    assert_eq!(doc["entries"][0]["serial"], bob["serial"]);
    assert_eq!(doc["entries"][0]["reason"], "keyCompromise");
    env.cmd()
        .args(["cert", "validate", "bob@example.com", "--usage", "encrypt"])
        .assert()
        .code(3)
        .stdout(
            predicate::str::contains("is revoked since")
                .and(predicate::str::contains("keyCompromise")),
        );
    env.ok(&["cert", "validate", "alice@example.com"]);
    // The next CRL carries bob forward; --new starts over.
    let text = env.ok(&["crl", "create", "--ca", "2"]);
    assert!(
        text.contains("number 2, 1 revoked certificate(s)"),
        "{text}"
    );
    let doc = env.json(&["crl", "create", "--new"]);
    assert_eq!(doc["number"], 3);
    assert_eq!(doc["entries"].as_array().unwrap().len(), 0);
    env.ok(&["cert", "validate", "bob@example.com"]);
    env.json(&["crl", "create", "--revoke", str_of(&bob["serial"])]);

    let list = env.json(&["crl", "list"]);
    let crls = list["crls"].as_array().unwrap();
    assert_eq!(crls.len(), 1, "a newer CRL replaces the older one");
    assert_eq!(crls[0]["status"], "valid");
    assert_eq!(crls[0]["number"], "04");
    assert!(env.ok(&["crl", "list"]).contains("1 entries"));

    let pem = env.ok(&["crl", "export", "Test Mail CA", "--pem"]);
    assert!(pem.starts_with("-----BEGIN X509 CRL-----"), "{pem}");
    let der = env.p("mail.crl");
    env.ok(&["crl", "export", "2", "--out", &der]);
    assert_eq!(std::fs::read(&der).unwrap()[0], 0x30);
    let pem_file = env.write("mail.pem.crl", pem.as_bytes());

    // Another store that trusts the same root takes the CRL in.
    let other = env.other("other");
    let root = env.p("root.pem");
    env.ok(&["ca", "export", "1", "--out", &root]);
    let inter = env.p("inter.pem");
    env.ok(&["ca", "export", "2", "--out", &inter]);
    other.ok(&["root", "import", &root]);
    other.ok(&["cert", "import", &inter]);
    let doc = other.json(&["crl", "import", &der]);
    assert_eq!(doc["imported"][0]["outcome"], "stored");
    let text = other.ok(&["crl", "import", &pem_file]);
    assert!(text.contains("already stored"), "{text}");
    let bob_file = env.p("bob.pem");
    env.ok(&["cert", "export", "bob@example.com", "--out", &bob_file]);
    other
        .cmd()
        .args(["cert", "validate", &bob_file])
        .assert()
        .code(3)
        .stdout(predicate::str::contains("revoked"));
    let _ = alice;
    // A CRL whose issuer this store does not know is kept pending: judged against the issuer
    // on the path when it is used (the issuer may arrive inside a message).
    let third = env.other("third");
    let out = third.ok(&["crl", "import", &der]);
    assert!(out.contains("pending"), "{out}");
    assert_eq!(third.json(&["crl", "list"])["crls"][0]["status"], "pending");
    third.ok(&["root", "import", &root]);
    // Bob's file holds only Bob: the intermediate comes from the chain file given with him.
    let bob_and_inter = env.p("bob-and-inter.pem");
    let mut both = std::fs::read(&bob_file).unwrap();
    both.extend(std::fs::read(&inter).unwrap());
    std::fs::write(&bob_and_inter, both).unwrap();
    third
        .cmd()
        .args(["cert", "validate", &bob_and_inter])
        .assert()
        .code(3)
        .stdout(predicate::str::contains("revoked"));
}

#[test]
fn crl_failures_leave_the_store_alone() {
    let env = Env::new();
    env.with_ca();
    env.issue("alice@example.com", &[]);
    env.fails(&["crl", "export", "Test Mail CA"], 1, "has no CRL yet");
    env.fails(
        &["crl", "create", "--revoke", "0BADC0FFEE"],
        1,
        "never issued serial number",
    );
    env.fails(
        &["crl", "create", "--revoke", "not-hex"],
        1,
        "not hexadecimal",
    );
    env.fails(
        &["crl", "create", "--ca", "Nope"],
        1,
        "no CA with id or name",
    );
    env.fails(
        &["crl", "create", "--next-update-days", "0"],
        1,
        "1 to 3650",
    );
    env.fails(
        &["crl", "create", "--revoke", "01", "--reason", "grumpy"],
        1,
        "is not a CRL reason",
    );
    env.fails(&["crl", "export", "Nope"], 1, "no CA with id or name");
    env.ok(&["crl", "create"]);
    env.fails(
        &["crl", "export", "2", "--out", &env.p("no/dir/x.crl")],
        1,
        "cannot write",
    );
    let garbage = env.write("garbage.crl", b"this is no CRL");
    let good = env.p("good.crl");
    env.ok(&["crl", "export", "2", "--out", &good]);
    let other = env.other("other");
    other.fails(&["crl", "import", &good, &garbage], 1, "cannot import");
    other.fails(
        &["crl", "import", &good, &garbage],
        1,
        "nothing was imported",
    );
    other.fails(
        &["crl", "import", &good, &env.p("missing.crl")],
        1,
        "cannot read",
    );
    let empty = TempDir::new().unwrap();
    let fresh = Env {
        store: empty.path().join("s"),
        dir: empty,
    };
    fresh.ok(&["store", "init"]);
    fresh.fails(&["crl", "create"], 1, "there is no CA");
}

#[test]
fn crl_refresh_fetches_distribution_points() {
    let env = Env::new();
    env.with_ca();
    let doc = env.json(&["crl", "refresh"]);
    assert_eq!(doc["urls"].as_array().unwrap().len(), 0);
    assert!(
        env.ok(&["crl", "refresh"])
            .contains("0 distribution point(s), 0 failed")
    );

    // The store's CA publishes its CRL at a local URL named in the certificates it issues.
    let crl_der = {
        env.ok(&["crl", "create"]);
        let path = env.p("mail.crl");
        env.ok(&["crl", "export", "2", "--out", &path]);
        std::fs::read(path).unwrap()
    };
    let (url, server) = serve(crl_der, 1);
    env.issue("alice@example.com", &["--crl-dp", &url]);
    let alice = env.p("alice.pem");
    env.ok(&["cert", "export", "alice@example.com", "--out", &alice]);
    let root = env.p("root.pem");
    env.ok(&["ca", "export", "1", "--out", &root]);
    let inter = env.p("inter.pem");
    env.ok(&["ca", "export", "2", "--out", &inter]);

    let gateway = env.other("gateway");
    gateway.ok(&["root", "import", &root]);
    gateway.ok(&["cert", "import", &alice, &inter]);
    // The distribution point is on 127.0.0.1: refused until the setting allows it, and
    // nothing is fetched.
    let out = gateway
        .cmd()
        .args(["--json", "crl", "refresh"])
        .assert()
        .code(1);
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(doc["failures"], 1);
    assert!(
        doc["urls"][0]["error"]
            .as_str()
            .unwrap()
            .contains("crl-fetch-allow-private"),
        "{doc}"
    );
    gateway.ok(&["settings", "set", "crl-fetch-allow-private", "on"]);
    let doc = gateway.json(&["crl", "refresh", "--force"]);
    assert_eq!(doc["failures"], 0);
    assert_eq!(doc["urls"][0]["url"], url.as_str());
    assert_eq!(doc["urls"][0]["outcome"], "fetched");
    assert_eq!(doc["urls"][0]["imports"][0]["outcome"], "stored");
    server.join().unwrap();
    assert_eq!(
        gateway.json(&["crl", "list"])["crls"][0]["source"],
        url.as_str()
    );
    // Not due again for 6 hours.
    let doc = gateway.json(&["crl", "refresh"]);
    assert_eq!(doc["urls"][0]["outcome"], "not-due");

    // A distribution point that does not answer: exit 1, the stored CRLs unchanged.
    let dead = "http://127.0.0.1:1/dead.crl";
    env.issue("bob@example.com", &["--crl-dp", dead]);
    let bob = env.p("bob.pem");
    env.ok(&["cert", "export", "bob@example.com", "--out", &bob]);
    gateway.ok(&["cert", "import", &bob]);
    let crls_before = gateway.json(&["crl", "list"]);
    gateway
        .cmd()
        .args(["crl", "refresh", "--timeout", "5"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("FAILED"))
        .stderr(predicate::str::contains("could not be refreshed"));
    assert_eq!(gateway.json(&["crl", "list"]), crls_before);
}

// --- smime and cms ----------------------------------------------------------------------------

#[test]
fn smime_sign_encrypt_decrypt_verify_end_to_end() {
    let env = Env::new();
    env.with_ca();
    env.issue("alice@example.com", &[]);
    env.issue("bob@example.com", &[]);
    let msg = env.write(
        "msg.eml",
        b"From: alice@example.com\nTo: bob@example.com\nSubject: numbers\n\nHello Bob\n",
    );
    let (signed, opaque, enc, dec, both, inner) = (
        env.p("signed.eml"),
        env.p("opaque.eml"),
        env.p("enc.eml"),
        env.p("dec.eml"),
        env.p("both.eml"),
        env.p("inner.eml"),
    );
    env.ok(&[
        "smime",
        "sign",
        "--signer",
        "alice@example.com",
        &msg,
        &signed,
    ]);
    let text = std::fs::read_to_string(&signed).unwrap();
    assert!(text.starts_with("From: alice@example.com\r\n"), "{text}");
    assert!(text.contains("multipart/signed"));
    let out = env.ok(&["smime", "verify", &signed, &inner]);
    assert!(out.contains("VALID") && !out.contains("NOT VALID"), "{out}");
    assert!(
        std::fs::read_to_string(&inner)
            .unwrap()
            .ends_with("Hello Bob\r\n")
    );
    env.ok(&[
        "smime",
        "sign",
        "--signer",
        "alice@example.com",
        "--opaque",
        &msg,
        &opaque,
    ]);
    assert!(
        std::fs::read_to_string(&opaque)
            .unwrap()
            .contains("smime-type=signed-data")
    );
    let doc = env.json(&["smime", "verify", &opaque]);
    assert_eq!(doc["valid"], true);
    assert_eq!(doc["form"], "opaque");
    // Encrypt to Bob, decrypt with the store's key.
    env.ok(&["smime", "encrypt", "--to", "bob@example.com", &msg, &enc]);
    assert!(
        std::fs::read_to_string(&enc)
            .unwrap()
            .contains("enveloped-data")
    );
    env.ok(&["smime", "decrypt", &enc, &dec]);
    assert!(
        std::fs::read_to_string(&dec)
            .unwrap()
            .ends_with("Hello Bob\r\n")
    );
    // GCM and stdin/stdout.
    let out = env
        .cmd()
        .args([
            "smime",
            "encrypt",
            "--to",
            "bob@example.com",
            "--gcm",
            "-",
            "-",
        ])
        .write_stdin(std::fs::read(&msg).unwrap())
        .assert()
        .success();
    let gcm = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(gcm.contains("authEnveloped-data"), "{gcm}");
    // Sign-encrypt, decrypt-verify.
    env.ok(&[
        "smime",
        "sign-encrypt",
        "--signer",
        "alice@example.com",
        "--to",
        "bob@example.com",
        "--oaep",
        &msg,
        &both,
    ]);
    let out = env.ok(&["smime", "decrypt-verify", &both, &dec]);
    assert!(out.contains("VALID") && !out.contains("NOT VALID"), "{out}");
    // A changed byte: exit 3 with the reason.
    let tampered = std::fs::read_to_string(&signed)
        .unwrap()
        .replace("Hello Bob", "Hello Bub");
    let bad = env.write("bad.eml", tampered.as_bytes());
    env.cmd()
        .args(["smime", "verify", &bad])
        .assert()
        .code(3)
        .stdout(predicate::str::contains("changed"));
    // Failures: unknown recipient, garbage, not encrypted, missing file; store unchanged.
    env.fails(
        &["smime", "encrypt", "--to", "carol@example.com", &msg, &enc],
        1,
        "no certificate of carol@example.com",
    );
    env.fails(&["smime", "decrypt", &msg, &dec], 1, "not encrypted");
    env.fails(&["smime", "verify", &msg], 1, "not signed");
    env.fails(
        &["smime", "decrypt", &env.p("missing.eml"), &dec],
        1,
        "cannot read",
    );
    env.fails(
        &[
            "smime",
            "sign",
            "--signer",
            "nobody@example.com",
            &msg,
            &signed,
        ],
        1,
        "no certificate of nobody@example.com",
    );
    let junk = env.write(
        "junk.p7m",
        b"Content-Type: application/pkcs7-mime\r\n\r\nAAAA\r\n",
    );
    let dec_before = std::fs::read(&dec).unwrap();
    env.fails(&["smime", "decrypt", &junk, &dec], 1, "malformed");
    // A failed command leaves an existing OUT as it was; OUT is written through a temporary
    // file beside it, and none is left behind, after a success or a failure.
    assert_eq!(std::fs::read(&dec).unwrap(), dec_before);
    let leftovers: Vec<_> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".hermes-pki-out-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // Another store has no key for Bob.
    let other = env.other("other-store");
    other.with_ca();
    other.fails(&["smime", "decrypt", &enc, &dec], 1, "no private key here");
    // Usage error.
    env.cmd()
        .args(["smime", "encrypt", &msg, &enc])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--to"));
}

#[test]
fn cms_sign_verify_encrypt_decrypt_end_to_end() {
    let env = Env::new();
    env.with_ca();
    env.issue("alice@example.com", &[]);
    let data = env.write(
        "data.bin",
        &(0..=255u8).cycle().take(5000).collect::<Vec<u8>>(),
    );
    let (sig, env_der, back) = (env.p("data.p7s"), env.p("data.p7m"), env.p("back.bin"));
    env.ok(&[
        "cms",
        "sign",
        "--signer",
        "alice@example.com",
        "--detached",
        &data,
        &sig,
    ]);
    let out = env.ok(&["cms", "verify", &sig, "--content", &data]);
    assert!(out.contains("VALID") && !out.contains("NOT VALID"), "{out}");
    env.cmd()
        .args(["cms", "verify", &sig, "--content", &msg_of(&env)])
        .assert()
        .code(3);
    let opaque = env.p("opaque.p7m");
    env.ok(&[
        "cms",
        "sign",
        "--signer",
        "alice@example.com",
        &data,
        &opaque,
    ]);
    env.ok(&["cms", "verify", &opaque, &back]);
    assert_eq!(std::fs::read(&back).unwrap(), std::fs::read(&data).unwrap());
    env.ok(&[
        "cms",
        "encrypt",
        "--to",
        "alice@example.com",
        &data,
        &env_der,
    ]);
    env.ok(&["cms", "decrypt", &env_der, &back]);
    assert_eq!(std::fs::read(&back).unwrap(), std::fs::read(&data).unwrap());
    env.fails(&["cms", "decrypt", &data, &back], 1, "CMS");
    env.fails(&["cms", "verify", &data], 1, "CMS");
}

fn msg_of(env: &Env) -> String {
    env.write("other.bin", b"not the signed content")
}

// --- odds and ends ----------------------------------------------------------------------------

#[test]
fn store_from_the_environment_and_a_broken_store() {
    let env = Env::new();
    let dir = env.path("from-env");
    Command::new(BIN)
        .current_dir(env.dir.path())
        .env("HERMES_PKI_STORE", &dir)
        .args(["ca", "create", "--cn", "Env CA", "--key-type", "ec-p256"])
        .assert()
        .success();
    assert!(dir.join("hermes.db").is_file() && dir.join("master.key").is_file());
    // A store that is not a store.
    let not_a_store = env.path("not-a-store");
    std::fs::create_dir(&not_a_store).unwrap();
    std::fs::write(
        not_a_store.join("hermes.db"),
        b"garbage garbage garbage garbage",
    )
    .unwrap();
    Command::new(BIN)
        .args(["--store", &not_a_store.display().to_string(), "ca", "list"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("cannot open the store"));
}

#[test]
fn a_closed_stdout_and_a_pipe_are_handled_quietly() {
    let env = Env::new();
    env.with_ca();
    for n in 0..3 {
        env.issue(&format!("user{n}@example.com"), &[]);
    }
    // The reader is gone before the command writes: no panic, no error, exit 0.
    let mut child = std::process::Command::new(BIN)
        .args(["--store", &env.store.display().to_string(), "cert", "list"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?} {stderr}", out.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
    // Piped: no progress bar on stderr.
    let a = env.p("a.pem");
    let b = env.p("b.pem");
    env.ok(&["cert", "export", "user0@example.com", "--out", &a]);
    env.ok(&["cert", "export", "user1@example.com", "--out", &b]);
    let other = env.other("other");
    other
        .cmd()
        .args(["cert", "import", &a, &b])
        .assert()
        .success()
        .stderr("");
}

// --- smime/cms verify --at and --certs, cms sign's chain (issue #13) -----------------------------

/// Runs the `openssl` command in `dir`; panics with its stderr when it fails.
fn openssl_in(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("these tests need the openssl command");
    assert!(
        out.status.success(),
        "openssl {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A store with a root, an intermediate and Alice, Alice's key and certificates as PEM files
/// (alice.key, alice.pem, inter.pem, root.pem) and a mail and data file.
fn smime_files() -> Env {
    let env = Env::new();
    env.with_ca();
    env.issue("alice@example.com", &[]);
    env.ok(&["ca", "export", "Test Root", "--out", &env.p("root.pem")]);
    env.ok(&["ca", "export", "Test Mail CA", "--out", &env.p("inter.pem")]);
    env.ok(&[
        "cert",
        "export",
        "alice@example.com",
        "--out",
        &env.p("alice.pem"),
    ]);
    env.ok(&[
        "cert",
        "export",
        "alice@example.com",
        "--p12",
        &env.p("alice.p12"),
        "--password",
        "pw",
    ]);
    openssl_in(
        env.dir.path(),
        &[
            "pkcs12",
            "-in",
            "alice.p12",
            "-passin",
            "pass:pw",
            "-nodes",
            "-nocerts",
            "-out",
            "alice.key",
        ],
    );
    env.write(
        "msg.eml",
        b"From: alice@example.com\nTo: bob@example.com\nSubject: numbers\n\nHello Bob\n",
    );
    env.write(
        "data.bin",
        &(0..=255u8).cycle().take(3000).collect::<Vec<u8>>(),
    );
    env
}

#[test]
fn cms_sign_carries_the_chain_up_to_the_anchor_for_openssl() {
    let env = smime_files();
    let d = env.dir.path();
    env.ok(&[
        "cms",
        "sign",
        "--signer",
        "alice@example.com",
        "data.bin",
        "attached.p7m",
    ]);
    env.ok(&[
        "cms",
        "sign",
        "--signer",
        "alice@example.com",
        "--detached",
        "data.bin",
        "detached.p7s",
    ]);
    // The intermediate is carried, the self-signed root is not.
    let certs = String::from_utf8(openssl_in(
        d,
        &[
            "pkcs7",
            "-inform",
            "DER",
            "-in",
            "attached.p7m",
            "-print_certs",
            "-noout",
        ],
    ))
    .unwrap();
    assert!(certs.contains("Test Mail CA"), "{certs}");
    assert!(!certs.contains("subject=CN = Test Root"), "{certs}");
    // OpenSSL verifies against the root alone.
    openssl_in(
        d,
        &[
            "cms",
            "-verify",
            "-inform",
            "DER",
            "-in",
            "attached.p7m",
            "-CAfile",
            "root.pem",
            "-out",
            "out.bin",
        ],
    );
    assert_eq!(
        std::fs::read(env.path("out.bin")).unwrap(),
        std::fs::read(env.path("data.bin")).unwrap()
    );
    openssl_in(
        d,
        &[
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            "detached.p7s",
            "-content",
            "data.bin",
            "-CAfile",
            "root.pem",
            "-out",
            "out2.bin",
        ],
    );
}

#[test]
fn smime_and_cms_verify_take_a_time_and_extra_certificates() {
    let env = smime_files();
    let d = env.dir.path();
    // --at: valid now, not valid after the certificates expired; a bad time is a usage error.
    env.ok(&[
        "smime",
        "sign",
        "--signer",
        "alice@example.com",
        "msg.eml",
        "signed.eml",
    ]);
    env.ok(&[
        "cms",
        "sign",
        "--signer",
        "alice@example.com",
        "data.bin",
        "signed.p7m",
    ]);
    let out = env.ok(&["smime", "verify", "signed.eml"]);
    assert!(out.contains("VALID") && !out.contains("NOT VALID"), "{out}");
    for cmd in [
        &[
            "smime",
            "verify",
            "signed.eml",
            "--at",
            "2100-01-01T00:00:00Z",
        ][..],
        &[
            "cms",
            "verify",
            "signed.p7m",
            "--at",
            "2100-01-01T00:00:00Z",
        ][..],
    ] {
        env.cmd()
            .args(cmd)
            .assert()
            .code(3)
            .stdout(predicate::str::contains("expired"));
    }
    env.fails(
        &["smime", "verify", "signed.eml", "--at", "next week"],
        1,
        "RFC 3339",
    );

    // Signed without certificates (as some clients send): the signer is found in the store of
    // the CA that issued it, and with --certs in a gateway that trusts only the root.
    openssl_in(
        d,
        &[
            "smime",
            "-sign",
            "-nocerts",
            "-signer",
            "alice.pem",
            "-inkey",
            "alice.key",
            "-in",
            "msg.eml",
            "-out",
            "nocerts.eml",
        ],
    );
    openssl_in(
        d,
        &[
            "cms",
            "-sign",
            "-nocerts",
            "-binary",
            "-nodetach",
            "-outform",
            "DER",
            "-signer",
            "alice.pem",
            "-inkey",
            "alice.key",
            "-in",
            "data.bin",
            "-out",
            "nocerts.p7m",
        ],
    );
    let doc = env.json(&["cms", "verify", "nocerts.p7m"]);
    assert_eq!(doc["valid"], true, "{doc}");
    assert_eq!(doc["signers"][0]["signature_valid"], true, "{doc}");

    let gw = env.other("gateway");
    gw.ok(&["root", "import", &env.p("root.pem")]);
    for cmd in [&["smime", "verify"][..], &["cms", "verify"][..]] {
        let file = if cmd[0] == "smime" {
            env.p("nocerts.eml")
        } else {
            env.p("nocerts.p7m")
        };
        let mut args = cmd.to_vec();
        args.push(&file);
        // Without the certificates: not valid, and the signer is named as the message names
        // it.
        gw.cmd().args(&args).assert().code(3).stdout(
            predicate::str::contains("unknown signer (issuer")
                .and(predicate::str::contains("Test Mail CA")),
        );
        let alice = env.p("alice.pem");
        let inter = env.p("inter.pem");
        args.extend(["--certs", &alice, "--certs", &inter]);
        let out = gw.ok(&args);
        assert!(out.contains("VALID") && !out.contains("NOT VALID"), "{out}");
    }
    let content = env.p("content.bin");
    gw.ok(&[
        "cms",
        "verify",
        &env.p("nocerts.p7m"),
        &content,
        "--certs",
        &env.p("alice.pem"),
        "--certs",
        &env.p("inter.pem"),
    ]);
    assert_eq!(
        std::fs::read(&content).unwrap(),
        std::fs::read(env.path("data.bin")).unwrap()
    );
    // --certs that holds no certificate.
    gw.fails(
        &[
            "smime",
            "verify",
            &env.p("nocerts.eml"),
            "--certs",
            &env.p("msg.eml"),
        ],
        1,
        "no certificate found",
    );
}

// --- settings ---------------------------------------------------------------------------------

/// Users, domains and every stored setting, read from the store with the library.
fn settings_snapshot(env: &Env) -> Vec<String> {
    use hermes_pki::store::{SettingScope, SqliteStore, StoreExt};
    let store = SqliteStore::open_default(&env.store).unwrap();
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

/// The one setting of a `settings show KEY --json` document: (value, source).
fn shown(env: &Env, scope: &[&str], key: &str) -> (Value, String) {
    let mut args = vec!["settings", "show"];
    args.extend_from_slice(scope);
    args.push(key);
    let doc = env.json(&args);
    let items = doc["settings"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{doc}");
    assert_eq!(str_of(&items[0]["key"]), key);
    (
        items[0]["value"].clone(),
        str_of(&items[0]["source"]).to_string(),
    )
}

#[test]
fn settings_help_names_the_subcommands_keys_and_flags() {
    let env = Env::new();
    let help = |args: &[&str]| -> String {
        let out = env.cmd().args(args).arg("--help").assert().success();
        String::from_utf8(out.get_output().stdout.clone()).unwrap()
    };
    assert!(help(&[]).contains("settings"));
    let text = help(&["settings"]);
    for w in ["set", "unset", "show"] {
        assert!(text.contains(w), "{text}");
    }
    for sub in ["set", "unset", "show"] {
        let text = help(&["settings", sub]);
        for w in [
            "--user",
            "--domain",
            "KEY",
            "sign",
            "encrypt",
            "auto-select",
            "additional-certificates",
            "add-signer-certificates",
            "cipher",
            "revocation",
            "best-effort|required",
            "signature-hash",
        ] {
            assert!(
                text.contains(w),
                "`settings {sub} --help` lacks {w}:\n{text}"
            );
        }
    }
}

#[test]
fn settings_revocation_set_show_unset() {
    let env = Env::new();
    env.ok(&["store", "init"]);
    // Nothing set: the default.
    assert_eq!(
        shown(&env, &[], "revocation"),
        (Value::from("best-effort"), "default".to_string())
    );
    let out = env.ok(&["settings", "set", "revocation", "required"]);
    assert_eq!(out, "revocation = required for global\n");
    assert_eq!(
        shown(&env, &[], "revocation"),
        (Value::from("required"), "global".to_string())
    );
    // Every user sees the global value.
    assert_eq!(
        shown(&env, &["--user", "alice@example.com"], "revocation"),
        (Value::from("required"), "global".to_string())
    );
    // `show` without a key: every setting, with value and source.
    let doc = env.json(&["settings", "show"]);
    assert_eq!(doc["scope"]["level"], "global");
    let items = doc["settings"].as_array().unwrap();
    let keys: Vec<&str> = items.iter().map(|i| str_of(&i["key"])).collect();
    assert_eq!(
        keys,
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
            "crl-fetch-allow-private"
        ]
    );
    for i in items {
        let want = if i["key"] == "revocation" {
            "global"
        } else {
            "default"
        };
        assert_eq!(str_of(&i["source"]), want, "{i}");
    }
    let human = env.ok(&["settings", "show"]);
    assert!(human.starts_with("settings for global\n"), "{human}");
    let line = human
        .lines()
        .find(|l| l.trim_start().starts_with("revocation"))
        .unwrap();
    assert!(
        line.contains("required") && line.ends_with("global"),
        "{line}"
    );
    let line = human
        .lines()
        .find(|l| l.trim_start().starts_with("encrypt"))
        .unwrap();
    assert!(
        line.contains("if-possible") && line.ends_with("default"),
        "{line}"
    );
    assert_eq!(
        settings_snapshot(&env),
        vec!["global: revocation=required".to_string()]
    );
    // Unset: back to the default; a second unset changes nothing and says so.
    let out = env.ok(&["settings", "unset", "revocation"]);
    assert!(
        out.contains("unset revocation for global") && out.contains("best-effort"),
        "{out}"
    );
    let doc = env.json(&["settings", "unset", "revocation"]);
    assert_eq!(doc["removed"], false);
    assert_eq!(doc["effective"]["source"], "default");
    assert_eq!(
        shown(&env, &[], "revocation"),
        (Value::from("best-effort"), "default".to_string())
    );
    assert!(settings_snapshot(&env).is_empty());
}

#[test]
fn settings_user_beats_domain_beats_global_per_key() {
    let env = Env::new();
    env.ok(&["settings", "set", "encrypt", "never"]);
    env.ok(&["settings", "set", "sign", "off"]);
    env.ok(&[
        "settings",
        "set",
        "--domain",
        "Example.COM",
        "encrypt",
        "if-possible",
    ]);
    env.ok(&[
        "settings",
        "set",
        "--domain",
        "example.com",
        "cipher",
        "aes-gcm",
    ]);
    let doc = env.json(&[
        "settings",
        "set",
        "--user",
        "alice@EXAMPLE.com",
        "encrypt",
        "required",
    ]);
    assert_eq!(doc["scope"]["level"], "user");
    assert_eq!(doc["scope"]["name"], "alice@example.com");
    assert_eq!(doc["value"], "required");
    let alice = ["--user", "alice@example.com"];
    let bob = ["--user", "bob@example.com"];
    let carol = ["--user", "carol@example.org"];
    let s = |v: &str, src: &str| (Value::from(v), src.to_string());
    // One key: user beats domain beats global.
    assert_eq!(shown(&env, &alice, "encrypt"), s("required", "user"));
    assert_eq!(shown(&env, &bob, "encrypt"), s("if-possible", "domain"));
    assert_eq!(shown(&env, &carol, "encrypt"), s("never", "global"));
    assert_eq!(
        shown(&env, &["--domain", "example.com"], "encrypt"),
        s("if-possible", "domain")
    );
    assert_eq!(shown(&env, &[], "encrypt"), s("never", "global"));
    // Other keys for the same user come from elsewhere, each on its own.
    assert_eq!(shown(&env, &alice, "sign"), s("off", "global"));
    assert_eq!(shown(&env, &alice, "cipher"), s("aes-gcm", "domain"));
    assert_eq!(
        shown(&env, &alice, "signature-hash"),
        s("sha256", "default")
    );
    // The levels under the winner are listed as overridden.
    let human = env.ok(&["settings", "show", "--user", "alice@example.com", "encrypt"]);
    assert!(
        human.contains("encrypt = required  (from user alice@example.com)"),
        "{human}"
    );
    assert!(
        human.contains("domain example.com: if-possible  (overridden)"),
        "{human}"
    );
    assert!(human.contains("global: never  (overridden)"), "{human}");
    // An address nobody configured is shown as such, with what applies to it.
    let human = env.ok(&["settings", "show", "--user", "bob@example.com"]);
    assert!(human.contains("not in the store"), "{human}");
    let doc = env.json(&["settings", "show", "--user", "alice@example.com"]);
    assert_eq!(doc["stored"], true);
    // The user and domain were created on first use; bob was not.
    assert_eq!(
        settings_snapshot(&env),
        [
            "user alice@example.com",
            "domain example.com",
            "global: encrypt=never",
            "global: sign=off",
            "user alice@example.com: encrypt=required",
            "domain example.com: cipher=aes-gcm",
            "domain example.com: encrypt=if-possible",
        ]
    );
    // Unset at the user: the domain's value shows through.
    env.ok(&[
        "settings",
        "unset",
        "--user",
        "alice@example.com",
        "encrypt",
    ]);
    assert_eq!(shown(&env, &alice, "encrypt"), s("if-possible", "domain"));
}

#[test]
fn settings_bad_input_is_refused_and_changes_nothing() {
    let env = Env::new();
    env.with_ca();
    let escrow = env.issue("escrow@example.com", &[]);
    env.ok(&["settings", "set", "--domain", "example.com", "sign", "off"]);
    let before = settings_snapshot(&env);
    let stored = env.snapshot();
    let cases: &[(&[&str], i32, &str)] = &[
        (
            &["settings", "set", "sign", "maybe"],
            1,
            "sign must be on or off",
        ),
        (
            &[
                "settings",
                "set",
                "--user",
                "new@example.net",
                "encrypt",
                "always",
            ],
            1,
            "never, if-possible or required",
        ),
        (
            &[
                "settings",
                "set",
                "--domain",
                "example.net",
                "cipher",
                "des",
            ],
            1,
            "aes-cbc, aes-gcm or auto",
        ),
        (&["settings", "set", "colour", "red"], 1, "is not a setting"),
        (&["settings", "unset", "colour"], 1, "is not a setting"),
        (&["settings", "show", "colour"], 1, "is not a setting"),
        (
            &["settings", "set", "sign", "on", "off"],
            1,
            "takes one value",
        ),
        (
            &[
                "settings",
                "set",
                "--user",
                "new@example.net",
                "revocation",
                "required",
            ],
            1,
            "revocation is a global setting",
        ),
        (
            &[
                "settings",
                "set",
                "--domain",
                "example.net",
                "revocation",
                "required",
            ],
            1,
            "revocation is a global setting",
        ),
        (
            &["settings", "set", "revocation", "strict"],
            1,
            "best-effort or required",
        ),
        (
            &["settings", "set", "--user", "not an address", "sign", "on"],
            1,
            "--user takes an email address",
        ),
        (
            &[
                "settings",
                "set",
                "--domain",
                "alice@example.com",
                "sign",
                "on",
            ],
            1,
            "--domain takes a domain name",
        ),
        (
            &[
                "settings",
                "set",
                "--user",
                "new@example.net",
                "additional-certificates",
                "00000000",
            ],
            1,
            "no stored certificate matches",
        ),
        (
            &[
                "settings",
                "set",
                "additional-certificates",
                &"AB".repeat(64),
            ],
            1,
            "import the certificate first",
        ),
        (
            &["settings", "set", "additional-certificates", ","],
            1,
            "at least one certificate",
        ),
        (
            &[
                "settings",
                "set",
                "--user",
                "a@example.com",
                "--domain",
                "example.com",
                "sign",
                "on",
            ],
            2,
            "cannot be used with",
        ),
        (&["settings", "set", "sign"], 2, "VALUE"),
    ];
    for (args, code, message) in cases {
        env.fails(args, *code, message);
        assert_eq!(
            settings_snapshot(&env),
            before,
            "`{}` changed the settings",
            args.join(" ")
        );
    }
    // A list with one good and one unknown certificate writes nothing either.
    let good = str_of(&escrow["thumbprint"]).to_string();
    env.fails(
        &[
            "settings",
            "set",
            "--user",
            "new@example.net",
            "additional-certificates",
            &good,
            &"CD".repeat(64),
        ],
        1,
        "not found",
    );
    assert_eq!(settings_snapshot(&env), before);
    assert_eq!(env.snapshot(), stored);
}

#[test]
fn settings_additional_certificates_take_prefixes_and_add_up() {
    let env = Env::new();
    env.with_ca();
    let one = env.issue("escrow1@example.com", &[]);
    let two = env.issue("escrow2@example.com", &[]);
    let (one, two) = (
        str_of(&one["thumbprint"]).to_string(),
        str_of(&two["thumbprint"]).to_string(),
    );
    // A unique prefix globally; the domain by email address and a full thumbprint (twice: kept
    // once).
    let doc = env.json(&[
        "settings",
        "set",
        "additional-certificates",
        &one[..12].to_lowercase(),
    ]);
    assert_eq!(doc["value"], serde_json::json!([one.clone()]));
    let doc = env.json(&[
        "settings",
        "set",
        "--domain",
        "example.org",
        "additional-certificates",
        "escrow2@example.com",
        &format!("{one},{two}"),
    ]);
    assert_eq!(doc["value"], serde_json::json!([two.clone(), one.clone()]));
    // A user of the domain gets the domain's list and the global one, added up.
    let doc = env.json(&[
        "settings",
        "show",
        "--user",
        "dave@example.org",
        "additional-certificates",
    ]);
    let item = &doc["settings"][0];
    assert_eq!(item["value"], serde_json::json!([two.clone(), one.clone()]));
    assert_eq!(item["source"], "domain");
    let levels: Vec<&str> = item["levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| str_of(&l["source"]))
        .collect();
    assert_eq!(levels, ["domain", "global"]);
    // Elsewhere only the global one.
    let (value, source) = shown(
        &env,
        &["--user", "x@example.net"],
        "additional-certificates",
    );
    assert_eq!(
        (value, source.as_str()),
        (serde_json::json!([one.clone()]), "global")
    );
    let human = env.ok(&["settings", "show", "--user", "dave@example.org"]);
    let line = human
        .lines()
        .find(|l| l.trim_start().starts_with("additional-certificates"))
        .unwrap();
    assert!(
        line.contains(&one[..16])
            && line.contains(&two[..16])
            && line.contains("domain example.org + global"),
        "{line}"
    );
    // Unset everywhere: none.
    env.ok(&[
        "settings",
        "unset",
        "--domain",
        "example.org",
        "additional-certificates",
    ]);
    env.ok(&["settings", "unset", "additional-certificates"]);
    let (value, source) = shown(
        &env,
        &["--user", "dave@example.org"],
        "additional-certificates",
    );
    assert_eq!((value, source.as_str()), (serde_json::json!([]), "default"));
}

// --- NIST PKITS through the CLI ----------------------------------------------------------------

/// A sample of the PKITS S/MIME messages (all of them run through the library in
/// `tests/tests/pkits_smime.rs`) through `root import`, `crl import` (every PKITS CRL, before
/// any certificate but the anchor), `settings set revocation` and `smime verify --at`.
#[test]
fn pkits_sample_verdicts_through_the_cli() {
    let pkits = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/pkits");
    let env = Env::new();
    env.ok(&[
        "root",
        "import",
        &format!("{pkits}/certs/TrustAnchorRootCertificate.crt"),
    ]);
    let mut crls: Vec<String> = std::fs::read_dir(format!("{pkits}/crls"))
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    crls.sort();
    let mut args = vec!["crl", "import"];
    args.extend(crls.iter().map(String::as_str));
    env.ok(&args);
    let verify = |name: &str, extra: &[&str]| {
        let msg = format!("{pkits}/smime/{name}.eml");
        let mut args = vec![
            "smime",
            "verify",
            msg.as_str(),
            "--at",
            "2020-06-01T00:00:00Z",
        ];
        args.extend_from_slice(extra);
        let out = env.cmd().args(&args).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    // Best effort (the default): a missing CRL leaves the signer valid, with a warning.
    let (code, out) = verify("SignedMissingCRLTest1", &[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("revocation status is unknown"), "{out}");
    env.ok(&["settings", "set", "revocation", "required"]);
    for (name, valid, says) in [
        ("SignedValidSignaturesTest1", true, ""),
        ("SignedInvalidRevokedEETest3", false, "revoked"),
        ("SignedInvalidRevokedCATest2", false, "revoked"),
        ("SignedMissingCRLTest1", false, "no revocation information"),
        ("SignedInvalidCAnotAfterDateTest5", false, "expired"),
        ("SignedValidNameChainingCapitalizationTest5", true, ""),
        (
            "SignedValidbasicConstraintsNotCriticalTest4",
            true,
            "not critical",
        ),
        ("SignedValidpre2000UTCnotBeforeDateTest3", true, ""),
        ("SignedValidIDPwithindirectCRLTest24", true, ""),
    ] {
        let (code, out) = verify(name, &[]);
        assert_eq!(code, Some(if valid { 0 } else { 3 }), "{name}: {out}");
        assert!(out.contains(says), "{name}: {out}");
    }
    // The DSA tests of PKITS are signed with SHA-1: not valid (weak) by default, valid once
    // the gateway setting allows SHA-1 (what PKITS expects).
    let (code, out) = verify("SignedValidDSASignaturesTest4", &[]);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("SHA-1"), "{out}");
    env.ok(&["settings", "set", "allow-sha1", "on"]);
    let (code, out) = verify("SignedValidDSASignaturesTest4", &[]);
    assert_eq!(code, Some(0), "{out}");
    env.ok(&["settings", "unset", "allow-sha1"]);
    // The profile rule that is a warning by default refuses under --strict.
    let (code, out) = verify("SignedValidbasicConstraintsNotCriticalTest4", &["--strict"]);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("basicConstraints is not critical"), "{out}");
}

// --- users, domains and certificate selection (`user`, `domain`, `smime` through select) ----

/// What the store holds about users and domains, as `user`/`domain` list and show print it.
fn people(env: &Env) -> Value {
    let users = env.json(&["user", "list"]);
    let mut shows = Vec::new();
    for u in users["users"].as_array().unwrap() {
        shows.push(env.json(&["user", "show", u.as_str().unwrap()]));
    }
    serde_json::json!({
        "users": users,
        "shows": shows,
        "domains": env.json(&["domain", "list"]),
    })
}

/// `Env::fails`, and the users, domains, settings and manual choices unchanged too.
fn fails_people_unchanged(env: &Env, args: &[&str], code: i32, message: &str) {
    let before = people(env);
    env.fails(args, code, message);
    assert_eq!(people(env), before, "`{}` changed users", args.join(" "));
}

fn thumb(cert: &Value) -> String {
    cert["thumbprint"].as_str().unwrap().to_string()
}

fn selected_whys(show: &Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = show["encryption"]["selected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (thumb(c), c["why"].as_str().unwrap().to_string()))
        .collect();
    v.sort();
    v
}

fn pairs(list: &[(&Value, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = list
        .iter()
        .map(|(c, w)| (thumb(c), w.to_string()))
        .collect();
    v.sort();
    v
}

#[test]
fn user_and_domain_add_list_show_remove() {
    let env = Env::new();
    let doc = env.json(&["user", "add", "alice@Example.COM"]);
    assert_eq!(doc["user"], "alice@example.com");
    assert_eq!(doc["added"], true);
    assert_eq!(
        env.json(&["user", "add", "alice@example.com"])["added"],
        false
    );
    env.ok(&["user", "add", "bob@example.org"]);
    assert_eq!(
        env.json(&["user", "list"])["users"],
        serde_json::json!(["alice@example.com", "bob@example.org"])
    );
    assert!(env.ok(&["user", "list"]).contains("2 user(s)"));
    assert_eq!(
        env.json(&["domain", "add", "Example.com"])["domain"],
        "example.com"
    );
    assert_eq!(
        env.json(&["domain", "list"])["domains"],
        serde_json::json!(["example.com"])
    );
    // Show: settings with their source (a domain setting reaches the user).
    env.ok(&["settings", "set", "--domain", "example.com", "sign", "off"]);
    let show = env.json(&["user", "show", "alice@example.com"]);
    assert_eq!(show["stored"], true);
    let sign = show["settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == "sign")
        .unwrap();
    assert_eq!(
        (sign["value"].as_str(), sign["source"].as_str()),
        (Some("off"), Some("domain"))
    );
    assert!(
        show["encryption"]["selected"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(show["signing"].is_null());
    let text = env.ok(&["user", "show", "alice@example.com"]);
    assert!(
        text.contains("sign") && text.contains("domain example.com"),
        "{text}"
    );
    let dshow = env.json(&["domain", "show", "example.com"]);
    assert_eq!(dshow["stored"], true);
    assert!(
        env.ok(&["domain", "show", "example.com"])
            .contains("domain example.com")
    );
    // Bad input: refused, nothing changed.
    fails_people_unchanged(&env, &["user", "add", "no address"], 1, "address");
    fails_people_unchanged(
        &env,
        &["user", "remove", "carol@example.com"],
        1,
        "no user carol@example.com",
    );
    fails_people_unchanged(&env, &["domain", "add", "bad domain!"], 1, "domain");
    fails_people_unchanged(
        &env,
        &["domain", "remove", "example.net"],
        1,
        "no domain example.net",
    );
    // Remove.
    assert_eq!(
        env.json(&["user", "remove", "alice@example.com"])["removed"],
        true
    );
    assert_eq!(
        env.json(&["user", "list"])["users"],
        serde_json::json!(["bob@example.org"])
    );
    assert_eq!(
        env.json(&["domain", "remove", "example.com"])["removed"],
        true
    );
    assert_eq!(
        env.json(&["domain", "list"])["domains"],
        serde_json::json!([])
    );
    assert_eq!(
        env.json(&["user", "show", "alice@example.com"])["stored"],
        false
    );
}

#[test]
fn user_select_manual_auto_select_off_and_domain_escrow_reach_smime_encrypt() {
    let env = Env::new();
    env.with_ca();
    let bob1 = env.issue("bob@example.com", &["--days", "100"]);
    let bob2 = env.issue("bob@example.com", &["--days", "200"]);
    let private = env.issue("bob.private@example.org", &[]);
    let escrow = env.issue("escrow@corp.example", &[]);
    env.issue("alice@example.com", &[]);
    let msg = env.write(
        "msg.eml",
        b"From: alice@example.com\r\nTo: bob@example.com\r\nSubject: hi\r\n\r\nHello Bob\r\n",
    );
    let enc = env.p("enc.eml");
    let recipients = |env: &Env| -> usize {
        let doc = env.json(&["smime", "encrypt", "--to", "bob@example.com", &msg, &enc]);
        doc["recipients"].as_array().unwrap().len()
    };
    assert_eq!(recipients(&env), 2);
    // Escrow at the domain level: in `user show` and in the recipients.
    env.ok(&[
        "settings",
        "set",
        "--domain",
        "example.com",
        "additional-certificates",
        &thumb(&escrow),
    ]);
    let show = env.json(&["user", "show", "bob@example.com"]);
    assert_eq!(
        selected_whys(&show),
        pairs(&[
            (&bob1, "automatic"),
            (&bob2, "automatic"),
            (&escrow, "additional")
        ])
    );
    let e = show["encryption"]["selected"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["why"] == "additional")
        .unwrap()
        .clone();
    assert_eq!(e["source"], "domain");
    assert_eq!(recipients(&env), 3);
    // A manual choice (by a prefix of its thumbprint) joins them.
    let prefix: String = thumb(&private).chars().take(12).collect();
    let doc = env.json(&["user", "select", "bob@example.com", "--encryption", &prefix]);
    assert_eq!(doc["added"], 1);
    assert_eq!(recipients(&env), 4);
    // Auto-select off: the manual choice and the escrow certificate only.
    env.ok(&[
        "settings",
        "set",
        "--user",
        "bob@example.com",
        "auto-select",
        "off",
    ]);
    let show = env.json(&["user", "show", "bob@example.com"]);
    assert_eq!(
        selected_whys(&show),
        pairs(&[(&private, "manual"), (&escrow, "additional")])
    );
    assert_eq!(show["encryption"]["left_out"].as_array().unwrap().len(), 2);
    assert_eq!(recipients(&env), 2);
    // Deselecting an automatic or additional certificate is refused, nothing changes.
    fails_people_unchanged(
        &env,
        &[
            "user",
            "select",
            "bob@example.com",
            "--deselect",
            &thumb(&bob1),
        ],
        1,
        "selected automatically",
    );
    fails_people_unchanged(
        &env,
        &[
            "user",
            "select",
            "bob@example.com",
            "--deselect",
            &thumb(&escrow),
        ],
        1,
        "additional-certificates",
    );
    fails_people_unchanged(
        &env,
        &[
            "user",
            "select",
            "bob@example.com",
            "--encryption",
            "00000000deadbeef",
        ],
        1,
        "no stored certificate matches",
    );
    fails_people_unchanged(
        &env,
        &["user", "select", "bob@example.com"],
        2,
        "--encryption",
    );
    // The manual one can go; then Bob has none of his own and encryption says why.
    env.ok(&[
        "user",
        "select",
        "bob@example.com",
        "--deselect",
        &thumb(&private),
    ]);
    assert!(
        env.json(&["user", "show", "bob@example.com"])["manual"]["encryption"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    env.fails(
        &["smime", "encrypt", "--to", "bob@example.com", &msg, &enc],
        1,
        "auto-select is off",
    );
    // A certificate id still names exactly that certificate.
    let doc = env.json(&["smime", "encrypt", "--to", &thumb(&bob1), &msg, &enc]);
    assert_eq!(doc["recipients"].as_array().unwrap().len(), 1);

    // Signing: automatic (the later notAfter among equal notBefore, or the later notBefore),
    // a manual choice, back to automatic.
    let auto_signer = env.json(&["user", "show", "bob@example.com"])["signing"].clone();
    assert_eq!(auto_signer["why"], "automatic");
    assert_eq!(thumb(&auto_signer), thumb(&bob2));
    env.ok(&[
        "user",
        "select",
        "bob@example.com",
        "--signing",
        &thumb(&bob1),
    ]);
    let signer = env.json(&["user", "show", "bob@example.com"])["signing"].clone();
    assert_eq!(
        (thumb(&signer), signer["why"].as_str()),
        (thumb(&bob1), Some("manual"))
    );
    let signed = env.p("signed.eml");
    let doc = env.json(&[
        "smime",
        "sign",
        "--signer",
        "bob@example.com",
        &msg,
        &signed,
    ]);
    assert_eq!(doc["signer"], bob1["subject"]);
    fails_people_unchanged(
        &env,
        &[
            "user",
            "select",
            "bob@example.com",
            "--signing",
            "00000000deadbeef",
        ],
        1,
        "no stored certificate matches",
    );
    assert_eq!(
        env.json(&["user", "select", "bob@example.com", "--auto"])["changed"],
        true
    );
    let signer = env.json(&["user", "show", "bob@example.com"])["signing"].clone();
    assert_eq!(thumb(&signer), thumb(&bob2));
}

// --- smime protect ----------------------------------------------------------------------------

/// A store with a CA, Alice (sender) and Bob with certificates, and a message from Alice.
fn protect_env() -> (Env, Value, Value) {
    let env = Env::new();
    env.with_ca();
    let alice = env.issue("alice@example.com", &[]);
    let bob = env.issue("bob@example.com", &[]);
    env.write(
        "msg.eml",
        b"From: alice@example.com\nTo: bob@example.com, carol@example.org\nSubject: numbers\n\nHello all\n",
    );
    (env, alice, bob)
}

#[test]
fn smime_protect_signs_and_encrypts_and_the_recipient_opens_it() {
    let (env, alice, bob) = protect_env();
    let out = env.ok(&[
        "smime",
        "protect",
        "--from",
        "alice@example.com",
        "--to",
        "bob@example.com",
        "msg.eml",
        "out.eml",
    ]);
    assert!(out.contains("signed by"), "{out}");
    assert!(out.contains("signed and encrypted (aes-256-cbc)"), "{out}");
    assert!(out.contains("bob@example.com: encrypted to"), "{out}");
    assert!(!env.path("out.eml.2").exists());
    let sent = std::fs::read_to_string(env.path("out.eml")).unwrap();
    assert!(sent.contains("smime-type=enveloped-data"), "{sent}");
    assert!(!sent.contains("Hello all"));
    // Bob's key (in this store) opens it; Alice's signature inside is valid.
    let out = env.ok(&["smime", "decrypt-verify", "out.eml", "opened.eml"]);
    assert!(!out.contains("NOT VALID"), "{out}");
    let opened = std::fs::read_to_string(env.path("opened.eml")).unwrap();
    assert!(opened.contains("Hello all"), "{opened}");

    let doc = env.json(&[
        "smime",
        "protect",
        "--from",
        "alice@example.com",
        "--to",
        "bob@example.com",
        "msg.eml",
        "out2.eml",
    ]);
    assert_eq!(doc["signing"]["signed"], true);
    assert_eq!(doc["signing"]["certificate"], alice["thumbprint"]);
    assert_eq!(doc["messages"].as_array().unwrap().len(), 1);
    assert_eq!(doc["messages"][0]["cipher"], "aes-256-cbc");
    assert_eq!(doc["recipients"][0]["encrypted"], true);
    assert_eq!(
        doc["recipients"][0]["certificates"][0]["thumbprint"],
        bob["thumbprint"]
    );
    assert_eq!(doc["recipients"][0]["certificates"][0]["why"], "automatic");
}

#[test]
fn smime_protect_mixed_recipients_write_one_file_per_group() {
    let (env, _, _) = protect_env();
    let doc = env.json(&[
        "smime",
        "protect",
        "--from",
        "alice@example.com",
        "--to",
        "carol@example.org,bob@example.com",
        "msg.eml",
        "out.eml",
    ]);
    let messages = doc["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2, "{doc}");
    assert_eq!(messages[0]["file"], "out.eml");
    assert_eq!(messages[0]["recipients"][0], "bob@example.com");
    assert_eq!(messages[0]["encrypted"], true);
    assert_eq!(messages[1]["file"], "out.eml.2");
    assert_eq!(messages[1]["recipients"][0], "carol@example.org");
    assert_eq!(messages[1]["encrypted"], false);
    assert_eq!(messages[1]["signed"], true);
    assert_eq!(doc["recipients"][0]["recipient"], "carol@example.org");
    assert_eq!(doc["recipients"][0]["why_not"], "no usable certificate");
    assert_eq!(doc["recipients"][0]["file"], "out.eml.2");
    let plain = std::fs::read_to_string(env.path("out.eml.2")).unwrap();
    assert!(plain.contains("multipart/signed") && plain.contains("Hello all"));
    let enc = std::fs::read_to_string(env.path("out.eml")).unwrap();
    assert!(enc.contains("enveloped-data") && !enc.contains("Hello all"));
    // Carol's signed copy verifies.
    env.ok(&["smime", "verify", "out.eml.2"]);

    // Several groups cannot go to stdout.
    env.fails(
        &[
            "smime",
            "protect",
            "--from",
            "alice@example.com",
            "--to",
            "carol@example.org,bob@example.com",
            "msg.eml",
            "-",
        ],
        1,
        "cannot all go to stdout",
    );
}

#[test]
fn smime_protect_required_refuses_and_writes_nothing() {
    let (env, _, _) = protect_env();
    env.ok(&[
        "settings",
        "set",
        "--domain",
        "example.org",
        "encrypt",
        "required",
    ]);
    env.fails(
        &[
            "smime",
            "protect",
            "--from",
            "alice@example.com",
            "--to",
            "bob@example.com",
            "--to",
            "carol@example.org",
            "msg.eml",
            "out.eml",
        ],
        1,
        "carol@example.org (domain): no certificate for the address",
    );
    assert!(!env.path("out.eml").exists());
    assert!(!env.path("out.eml.2").exists());
}

#[test]
fn smime_protect_global_escrow_opens_with_openssl() {
    let (env, _, bob) = protect_env();
    let escrow = env.issue("escrow@example.net", &[]);
    env.ok(&[
        "settings",
        "set",
        "additional-certificates",
        str_of(&escrow["thumbprint"]),
    ]);
    env.ok(&[
        "cert",
        "export",
        "escrow@example.net",
        "--p12",
        &env.p("escrow.p12"),
        "--password",
        "pw",
    ]);
    openssl_in(
        env.dir.path(),
        &[
            "pkcs12",
            "-in",
            "escrow.p12",
            "-passin",
            "pass:pw",
            "-nodes",
            "-out",
            "escrow.pem",
        ],
    );
    let doc = env.json(&[
        "smime",
        "protect",
        "--from",
        "alice@example.com",
        "--to",
        "bob@example.com",
        "msg.eml",
        "out.eml",
    ]);
    let to = doc["messages"][0]["encrypted_to"].as_array().unwrap();
    assert_eq!(
        to,
        &vec![bob["thumbprint"].clone(), escrow["thumbprint"].clone()]
    );
    assert_eq!(
        doc["recipients"][0]["certificates"][1]["why"],
        "additional (global)"
    );
    let opened = openssl_in(
        env.dir.path(),
        &[
            "cms",
            "-decrypt",
            "-in",
            "out.eml",
            "-inkey",
            "escrow.pem",
            "-recip",
            "escrow.pem",
        ],
    );
    let opened = String::from_utf8_lossy(&opened);
    assert!(opened.contains("multipart/signed"), "{opened}");
    assert!(opened.contains("Hello all"), "{opened}");
}

#[test]
fn smime_protect_sign_off_and_gcm_setting() {
    let (env, _, _) = protect_env();
    env.ok(&[
        "settings",
        "set",
        "--user",
        "alice@example.com",
        "sign",
        "off",
    ]);
    env.ok(&["settings", "set", "cipher", "aes-gcm"]);
    let out = env.ok(&[
        "smime",
        "protect",
        "--from",
        "alice@example.com",
        "--to",
        "bob@example.com",
        "msg.eml",
        "out.eml",
    ]);
    assert!(out.contains("not signed: sign is off (user)"), "{out}");
    assert!(out.contains(": encrypted (aes-256-gcm)"), "{out}");
    let sent = std::fs::read_to_string(env.path("out.eml")).unwrap();
    assert!(sent.contains("smime-type=authEnveloped-data"), "{sent}");
    let out = env.ok(&["smime", "decrypt", "out.eml", "opened.eml"]);
    assert!(out.contains("decrypted"), "{out}");
    let opened = std::fs::read_to_string(env.path("opened.eml")).unwrap();
    assert!(opened.contains("Hello all") && !opened.contains("multipart/signed"));
    // One group: `-` writes it to stdout.
    let out = env.ok(&[
        "smime",
        "protect",
        "--from",
        "alice@example.com",
        "--to",
        "bob@example.com",
        "msg.eml",
        "-",
    ]);
    assert!(out.contains("smime-type=authEnveloped-data"), "{out}");
}

#[test]
fn smime_protect_streams_from_stdin_and_a_failing_file_leaves_no_file_behind() {
    let (env, _, _) = protect_env();
    // IN from stdin, two groups to files.
    let msg = std::fs::read(env.path("msg.eml")).unwrap();
    env.cmd()
        .args([
            "smime",
            "protect",
            "--from",
            "alice@example.com",
            "--to",
            "carol@example.org,bob@example.com",
            "-",
            &env.p("piped.eml"),
        ])
        .write_stdin(msg)
        .assert()
        .success();
    let plain = std::fs::read_to_string(env.path("piped.eml.2")).unwrap();
    assert!(plain.contains("multipart/signed") && plain.contains("Hello all"));
    assert!(
        std::fs::read_to_string(env.path("piped.eml"))
            .unwrap()
            .contains("enveloped-data")
    );

    // The second group's file cannot be written (a directory is in the way): the command
    // fails naming it, and the first group's file (here an earlier output) is left as it was.
    std::fs::create_dir(env.path("out.eml.2")).unwrap();
    std::fs::write(env.path("out.eml"), b"an earlier output").unwrap();
    env.fails(
        &[
            "smime",
            "protect",
            "--from",
            "alice@example.com",
            "--to",
            "carol@example.org,bob@example.com",
            "msg.eml",
            &env.p("out.eml"),
        ],
        1,
        "out.eml.2",
    );
    assert_eq!(
        std::fs::read(env.path("out.eml")).unwrap(),
        b"an earlier output"
    );
    let leftovers: Vec<_> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".hermes-pki-out-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

// --- smime open (the gateway's inbound operation) ----------------------------------------------

/// Runs `smime open --json` with `extra` arguments, expecting exit `code`; its document.
fn smime_open(env: &Env, args: &[&str], code: i32) -> Value {
    let out = env
        .cmd()
        .args(["--json", "smime", "open"])
        .args(args)
        .assert()
        .code(code);
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}

#[test]
fn smime_open_exit_codes_verdicts_and_informational_fields() {
    let env = Env::new();
    env.with_ca();
    env.issue("alice@example.com", &[]);
    env.issue("bob@example.com", &[]);
    let msg = env.write(
        "msg.eml",
        b"From: alice@example.com\nTo: bob@example.com\nSubject: numbers\n\nHello Bob\n",
    );
    let (signed, out) = (env.p("signed.eml"), env.p("out.eml"));
    env.ok(&[
        "smime",
        "sign",
        "--signer",
        "alice@example.com",
        &msg,
        &signed,
    ]);

    // Valid, signer = From: exit 0, the inner message written.
    let doc = smime_open(&env, &[&signed, &out], 0);
    assert_eq!(doc["outcome"], "processed");
    assert_eq!(doc["valid"], true);
    assert_eq!(doc["layers"][0]["type"], "signed");
    assert_eq!(doc["layers"][0]["signers"][0]["valid"], true);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("From: alice@example.com\r\n"), "{text}");
    assert!(text.ends_with("Hello Bob\r\n"), "{text}");
    assert!(!text.contains("X-Hermes-"), "{text}");
    let human = env.ok(&["smime", "open", &signed, &out]);
    assert!(human.contains("signed: VALID"), "{human}");

    // Signed by Alice, From: Bob: exit 3, signer is not the sender.
    let from_bob = env.write(
        "bob.eml",
        b"From: bob@example.com\nTo: carol@example.com\nSubject: hi\n\nNot Bob\n",
    );
    let forged = env.p("forged.eml");
    env.ok(&[
        "smime",
        "sign",
        "--signer",
        "alice@example.com",
        &from_bob,
        &forged,
    ]);
    let doc = smime_open(&env, &[&forged, &out], 3);
    assert_eq!(doc["valid"], false);
    let reasons = &doc["layers"][0]["signers"][0]["reasons"];
    assert_eq!(reasons.as_array().unwrap().len(), 1, "{reasons}");
    assert_eq!(reasons[0]["code"], "signer-is-not-sender");
    // With --headers the client is told so.
    smime_open(&env, &[&forged, &out, "--headers"], 3);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.contains("X-Hermes-Signature: not-valid; reason=signer-is-not-sender; signer=alice@example.com\r\n"),
        "{text}"
    );

    // Signed and encrypted, with a forged informational field: exit 0, two layers, the
    // forged field gone with --headers.
    let faked = env.write(
        "faked.eml",
        b"X-Hermes-Signature: valid; signer=ceo@example.com\nFrom: alice@example.com\nTo: bob@example.com\nSubject: numbers\n\nHello Bob\n",
    );
    let both = env.p("both.eml");
    env.ok(&[
        "smime",
        "sign-encrypt",
        "--signer",
        "alice@example.com",
        "--to",
        "bob@example.com",
        &faked,
        &both,
    ]);
    let doc = smime_open(&env, &[&both, &out, "--headers"], 0);
    let types: Vec<&str> = doc["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| str_of(&l["type"]))
        .collect();
    assert_eq!(types, ["encrypted", "signed"]);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(!text.contains("ceo@example.com"), "{text}");
    assert!(text.contains("X-Hermes-Encrypted: yes"), "{text}");
    assert!(
        text.contains("X-Hermes-Signature: valid; signer=alice@example.com\r\n"),
        "{text}"
    );

    // Not S/MIME: exit 4, the message passed on as it came.
    let doc = smime_open(&env, &[&msg, &out], 4);
    assert_eq!(doc["outcome"], "not-smime");
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&msg).unwrap());

    // Encrypted to someone whose key is elsewhere: exit 5, no-key, the store unchanged.
    let other = env.other("elsewhere");
    other.with_ca();
    other.issue("dave@example.com", &[]);
    let enc = env.p("enc.eml");
    other.ok(&["smime", "encrypt", "--to", "dave@example.com", &msg, &enc]);
    let before = env.snapshot();
    let doc = smime_open(&env, &[&enc, &out], 5);
    assert_eq!(doc["outcome"], "unreadable");
    assert_eq!(doc["reason"], "no-key");
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&enc).unwrap());
    assert_eq!(env.snapshot(), before);

    // A missing input is a failure (exit 1), nothing else.
    env.fails(
        &["smime", "open", &env.p("missing.eml"), &out],
        1,
        "missing.eml",
    );
}

#[test]
fn smime_open_streams_from_stdin_and_an_unwritable_out_is_a_failure() {
    let env = Env::new();
    env.with_ca();
    env.issue("alice@example.com", &[]);
    let msg = env.write(
        "msg.eml",
        b"From: alice@example.com\nTo: bob@example.com\nSubject: numbers\n\nHello Bob\n",
    );
    let signed = env.p("signed.eml");
    env.ok(&[
        "smime",
        "sign",
        "--signer",
        "alice@example.com",
        &msg,
        &signed,
    ]);
    let out = env.p("out.eml");
    env.cmd()
        .args(["smime", "open", "-", &out])
        .write_stdin(std::fs::read(&signed).unwrap())
        .assert()
        .code(0);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("From: alice@example.com\r\n") && text.ends_with("Hello Bob\r\n"));

    // OUT in a directory that does not exist: exit 1, naming it.
    env.fails(
        &["smime", "open", &signed, &env.p("missing/out.eml")],
        1,
        "out.eml",
    );
}

#[test]
fn smime_open_judges_openssl_mail_and_introduces_valid_signers_only_when_on() {
    let env = smime_files();
    let sign = |from: &str, out: &str| {
        openssl_in(
            env.dir.path(),
            &[
                "smime",
                "-sign",
                "-signer",
                "alice.pem",
                "-inkey",
                "alice.key",
                "-certfile",
                "inter.pem",
                "-from",
                from,
                "-to",
                "carol@example.com",
                "-subject",
                "hi",
                "-in",
                "data.txt",
                "-out",
                out,
            ],
        );
    };
    env.write("data.txt", b"Hello from OpenSSL\n");
    sign("bob@example.com", "openssl-bob.eml");
    sign("alice@example.com", "openssl-alice.eml");

    // Another store trusts the root and has never seen Alice.
    let receiver = env.other("receiver");
    receiver.ok(&["root", "import", &env.p("root.pem")]);
    let certs = |e: &Env| e.json(&["cert", "list"]).to_string();
    let out = env.p("out.eml");

    // OpenSSL signed as Alice, From: Bob: not valid, signer is not the sender; nothing stored.
    let before = certs(&receiver);
    let doc = smime_open(&receiver, &[&env.p("openssl-bob.eml"), &out], 3);
    assert_eq!(
        doc["layers"][0]["signers"][0]["reasons"][0]["code"],
        "signer-is-not-sender"
    );
    assert_eq!(certs(&receiver), before);

    // From: Alice, add-signer-certificates off: valid, nothing stored.
    receiver.ok(&["settings", "set", "add-signer-certificates", "off"]);
    let doc = smime_open(&receiver, &[&env.p("openssl-alice.eml"), &out], 0);
    assert_eq!(
        doc["layers"][0]["signers"][0]["stored"],
        serde_json::json!([])
    );
    assert_eq!(certs(&receiver), before);
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .contains("Hello from OpenSSL")
    );

    // On: Alice's certificate and the intermediate she carried are stored.
    receiver.ok(&["settings", "set", "add-signer-certificates", "on"]);
    let doc = smime_open(&receiver, &[&env.p("openssl-alice.eml"), &out], 0);
    assert_eq!(
        doc["layers"][0]["signers"][0]["stored"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "{doc}"
    );
    let list = certs(&receiver);
    assert!(list.contains("alice@example.com"), "{list}");
}

// --- certificate requests, bulk CSV, lifecycle (issue 15) --------------------------------------

#[test]
fn request_outward_csr_signed_by_openssl_completes_through_cert_import() {
    let env = Env::new();
    let csr = env.p("req.pem");
    let doc = env.json(&[
        "request",
        "new",
        "--email",
        "out@example.com",
        "--cn",
        "Out",
        "--handler",
        "csr",
        "--csr-out",
        &csr,
        "--key-type",
        "ec-p256",
    ]);
    assert_eq!(doc["status"], "pending");
    let id = doc["id"].as_u64().unwrap().to_string();
    let list = env.json(&["request", "list", "--pending"]);
    assert_eq!(list["requests"].as_array().unwrap().len(), 1);
    // An external CA (openssl) signs it.
    let d = env.dir.path();
    let run = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .current_dir(d)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-subj",
        "/CN=Ext CA",
        "-days",
        "30",
    ]);
    run(&[
        "x509",
        "-req",
        "-in",
        "req.pem",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-days",
        "30",
        "-set_serial",
        "77",
        "-copy_extensions",
        "copy",
        "-out",
        "signed.pem",
    ]);
    // A certificate for no request is refused by `request complete`.
    env.fails(
        &["request", "complete", &id, &env.p("ca.pem")],
        1,
        "no certificate for this request's key",
    );
    let imported = env.json(&["cert", "import", &env.p("signed.pem")]);
    assert_eq!(
        imported["completed_requests"],
        serde_json::json!([id.parse::<u64>().unwrap()])
    );
    let shown = env.json(&["request", "show", &id]);
    assert_eq!(shown["status"], "completed");
    let certs = env.json(&["cert", "list", "--with-key"]);
    assert_eq!(certs["certificates"].as_array().unwrap().len(), 1);
    env.fails(&["request", "cancel", &id], 1, "not pending");
    env.fails(
        &["request", "show", "99"],
        1,
        "no certificate request with id 99",
    );
}

#[test]
fn request_sign_keeps_a_client_csr_pending_until_approved() {
    let env = Env::new();
    env.with_ca();
    let d = env.dir.path();
    let out = std::process::Command::new("openssl")
        .args([
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "client.key",
            "-out",
            "client.csr",
            "-subj",
            "/CN=Client/emailAddress=client@example.com",
        ])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(out.status.success());
    let doc = env.json(&[
        "request",
        "sign",
        &env.p("client.csr"),
        "--domain",
        "example.com",
    ]);
    assert_eq!(doc["status"], "pending");
    assert_eq!(doc["handler"], "csr-inward");
    let id = doc["id"].as_u64().unwrap().to_string();
    env.fails(&["request", "retry", &id], 1, "waits for an approval");
    let cert = env.p("client.pem");
    let done = env.json(&["request", "approve", &id, "--out", &cert]);
    assert_eq!(done["status"], "completed");
    assert_eq!(
        done["issued"]["emails"],
        serde_json::json!(["client@example.com"])
    );
    assert!(
        std::fs::read_to_string(&cert)
            .unwrap()
            .contains("BEGIN CERTIFICATE")
    );
    // Another domain is refused, nothing stored.
    env.fails(
        &[
            "request",
            "sign",
            &env.p("client.csr"),
            "--domain",
            "example.org",
            "--approve",
        ],
        1,
        "not issued here",
    );
}

#[test]
fn request_new_built_in_delivers_a_pkcs12_and_a_mail() {
    let env = Env::new();
    env.with_ca();
    let p12 = env.p("u.p12");
    let mail = env.p("u.eml");
    let doc = env.json(&[
        "request",
        "new",
        "--email",
        "u@example.com",
        "--cn",
        "U",
        "--key-type",
        "ec-p256",
        "--p12",
        &p12,
        "--mail-out",
        &mail,
        "--store-password",
        "--create-user",
    ]);
    assert_eq!(doc["status"], "completed");
    let password = doc["password"].as_str().unwrap().to_string();
    assert_eq!(password.len(), 16);
    let m = std::fs::read_to_string(&mail).unwrap();
    assert!(m.contains("application/x-pkcs12"));
    assert!(!m.contains(&password));
    // The PKCS#12 imports with the printed password.
    let other = env.other("other");
    other.ok(&["cert", "import", &p12, "--password", &password]);
    let users = env.json(&["user", "list"]);
    assert!(users.to_string().contains("u@example.com"), "{users}");
}

#[test]
fn issue_csv_preview_changes_nothing_and_the_run_issues_every_row() {
    let env = Env::new();
    env.with_ca();
    env.issue("has@example.com", &[]);
    // Excel: UTF-16LE with BOM, `;`, CRLF.
    let text = "EMAIL;COMMONNAME;ORG\r\nhas@example.com;Has;\r\nnew1@example.com;New One;\"A; B\"\r\nnew2@example.com;New Two;\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    let csv = env.write("excel.csv", &bytes);
    let before = env.snapshot();
    // A preview with a row error exits 1 and still lists everything.
    let out = env
        .cmd()
        .args([
            "--json",
            "issue",
            "--csv",
            &csv,
            "--preview",
            "--skip-existing",
        ])
        .assert()
        .code(1);
    let preview: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(env.snapshot(), before, "the preview changes nothing");
    assert_eq!(preview["errors"][0]["line"], 3);
    assert_eq!(preview["skipped"][0]["line"], 2);
    let rows: Vec<&str> = preview["preview"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["email"].as_str().unwrap())
        .collect();
    assert_eq!(rows, ["new2@example.com"]);
    // `A; B` is not an allowed organisation: a row error with its line; nothing is issued.
    env.fails(
        &[
            "issue",
            "--csv",
            &csv,
            "--skip-existing",
            "--key-type",
            "ec-p256",
        ],
        1,
        "line 3: new1@example.com",
    );
    let fixed = text.replace("\"A; B\"", "A & B");
    let mut bytes = vec![0xFF, 0xFE];
    for u in fixed.encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    let csv = env.write("fixed.csv", &bytes);
    let doc = env.json(&[
        "issue",
        "--csv",
        &csv,
        "--skip-existing",
        "--key-type",
        "ec-p256",
    ]);
    let lines: Vec<u64> = doc["issued"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [3, 4]);
    let preview = env.json(&["issue", "--csv", &csv, "--preview", "--skip-existing"]);
    assert_eq!(preview["skipped"].as_array().unwrap().len(), 3);
}

#[test]
fn cert_delete_root_remove_and_key_import() {
    let env = Env::new();
    env.with_ca();
    let user = env.issue("k@example.com", &[]);
    let t = user["thumbprint"].as_str().unwrap().to_string();
    let pw = env.write("pw.txt", b"pass phrase\n");
    let key = env.p("k.key");
    env.ok(&["key", "export", &t, "--password-file", &pw, "--out", &key]);
    let cert = env.p("k.pem");
    env.ok(&["cert", "export", &t, "--out", &cert]);
    let doc = env.json(&["cert", "delete", &t]);
    assert_eq!(doc["key_removed"], true);
    // The key matches nothing now: refused.
    env.fails(
        &["key", "import", &key, "--password-file", &pw],
        1,
        "import the key's certificate first",
    );
    env.ok(&["cert", "import", &cert]);
    let wrong = env.write("wrong.txt", b"wrong\n");
    env.fails(
        &["key", "import", &key, "--password-file", &wrong],
        1,
        "password",
    );
    let doc = env.json(&["key", "import", &key, "--password-file", &pw]);
    assert_eq!(doc["new"], true);
    assert_eq!(
        env.json(&["cert", "list", "--with-key", "--email", "k@example.com"])["certificates"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // A CA's certificate is still referenced.
    let roots = env.json(&["root", "list"]);
    let root_t = roots["roots"][0]["thumbprint"]
        .as_str()
        .unwrap()
        .to_string();
    env.fails(&["root", "remove", &root_t], 1, "still referenced");
    env.fails(&["cert", "delete", &root_t], 1, "still referenced");
}
