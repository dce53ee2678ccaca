//! Opening the store from the `hermes-pki` command line: a read-only command never creates a
//! store, the store directory and files are private, a master key file others can read (or a
//! symbolic link) is refused, `--store postgres://...` with `--master-key-file`, clear
//! connection errors without the password, and `store copy` SQLite → PostgreSQL → SQLite.

use std::path::Path;
use std::process::{Command, Output};

use hermes_pki_tests::cli::binary;
use hermes_pki_tests::pg::{TestDb, with_database};

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(binary())
        .current_dir(dir)
        .env_remove("HERMES_PKI_STORE")
        .env_remove("HERMES_PKI_MASTER_KEY_FILE")
        .args(args)
        .output()
        .unwrap()
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(
        out.status.success(),
        "hermes-pki {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn fails(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "hermes-pki {} should fail with exit 1: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stderr).unwrap()
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn read_only_commands_say_there_is_no_store_and_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("none");
    let s = store.to_str().unwrap();
    for cmd in [
        &["cert", "list"][..],
        &["ca", "list"],
        &["crl", "list"],
        &["root", "list"],
        &["ctl", "list"],
        &["user", "list"],
        &["domain", "list"],
        &["settings", "show"],
        &["cert", "show", "alice@example.com"],
        &["issue", "--email", "a@example.com", "--cn", "A"],
    ] {
        let mut args = vec!["--store", s];
        args.extend_from_slice(cmd);
        let err = fails(dir.path(), &args);
        assert!(err.contains("there is no store"), "{cmd:?}: {err}");
        assert!(err.contains("hint:"), "{cmd:?}: {err}");
        assert!(!store.exists(), "{cmd:?} created the store directory");
    }
    // The demo makes its own store directory; it does not run in a PostgreSQL database.
    let err = fails(
        dir.path(),
        &["--store", "postgres://u@127.0.0.1:1/db", "demo"],
    );
    assert!(err.contains("store directory"), "{err}");
    assert!(!dir.path().join("postgres:").exists());
    // Also in the default ./hermes-data.
    let err = fails(dir.path(), &["cert", "list"]);
    assert!(err.contains("there is no store"), "{err}");
    assert!(!dir.path().join("hermes-data").exists());
    // A creating command whose input is bad fails and leaves no store behind either.
    std::fs::write(dir.path().join("junk.pem"), b"junk").unwrap();
    fails(dir.path(), &["--store", s, "cert", "import", "junk.pem"]);
    assert!(!store.exists(), "a failed import left a store behind");
    // A creating command creates it: directory 0700, database and key file 0600.
    ok(
        dir.path(),
        &[
            "--store",
            s,
            "ca",
            "create",
            "--cn",
            "Open Root",
            "--key-type",
            "ec-p256",
        ],
    );
    ok(dir.path(), &["--store", s, "cert", "list"]);
    #[cfg(unix)]
    {
        assert_eq!(mode(&store), 0o700);
        for f in ["hermes.db", "hermes.db-wal", "hermes.db-shm", "master.key"] {
            let p = store.join(f);
            if p.exists() {
                assert_eq!(mode(&p), 0o600, "{f}");
            }
        }
        assert!(store.join("hermes.db").exists() && store.join("master.key").exists());
    }
}

#[cfg(unix)]
#[test]
fn a_master_key_file_others_can_read_or_a_symlink_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s");
    let s = store.to_str().unwrap();
    ok(dir.path(), &["--store", s, "store", "init"]);
    let key = store.join("master.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = fails(dir.path(), &["--store", s, "cert", "list"]);
    assert!(err.contains("chmod 600"), "{err}");
    assert!(err.contains("master.key"), "{err}");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    ok(dir.path(), &["--store", s, "cert", "list"]);
    // Reached through a symbolic link: refused.
    let link = dir.path().join("link.key");
    std::os::unix::fs::symlink(&key, &link).unwrap();
    let err = fails(
        dir.path(),
        &[
            "--store",
            s,
            "--master-key-file",
            link.to_str().unwrap(),
            "cert",
            "list",
        ],
    );
    assert!(err.contains("symbolic link"), "{err}");
}

#[test]
fn postgres_store_through_the_cli_and_store_copy_round_trip() {
    let Some(db) = TestDb::new("cli") else {
        return;
    };
    let Some(back_db) = TestDb::new("cli_back") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sqlite = d.join("sqlite");
    let s = sqlite.to_str().unwrap();
    ok(
        d,
        &[
            "--store",
            s,
            "ca",
            "create",
            "--cn",
            "Copy Root",
            "--key-type",
            "ec-p256",
        ],
    );
    ok(
        d,
        &[
            "--store",
            s,
            "issue",
            "--email",
            "alice@example.com",
            "--cn",
            "Alice",
            "--key-type",
            "ec-p256",
        ],
    );
    ok(d, &["--store", s, "user", "add", "alice@example.com"]);
    ok(
        d,
        &["--store", s, "settings", "set", "revocation", "required"],
    );
    let listing = ok(d, &["--store", s, "--json", "cert", "list"]);
    // A PostgreSQL URL needs the master key file.
    let err = fails(d, &["--store", &db.url, "cert", "list"]);
    assert!(err.contains("--master-key-file"), "{err}");
    // Copy into PostgreSQL: the nodes keep the store's master key file.
    let key = sqlite.join("master.key");
    let key = key.to_str().unwrap();
    let out = ok(d, &["store", "copy", s, &db.url]);
    assert!(out.contains("2 CA(s)") || out.contains("1 CA(s)"), "{out}");
    let password = db.url.split(':').nth(2).unwrap().split('@').next().unwrap();
    assert!(!out.contains(password), "the password is shown: {out}");
    // The same listing from PostgreSQL, through --store URL and the environment.
    let from_pg = ok(
        d,
        &[
            "--store",
            &db.url,
            "--master-key-file",
            key,
            "--json",
            "cert",
            "list",
        ],
    );
    assert_eq!(from_pg, listing);
    let out = Command::new(binary())
        .current_dir(d)
        .env("HERMES_PKI_STORE", &db.url)
        .env("HERMES_PKI_MASTER_KEY_FILE", key)
        .args(["--json", "cert", "list"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), listing);
    // A node issues on PostgreSQL.
    ok(
        d,
        &[
            "--store",
            &db.url,
            "--master-key-file",
            key,
            "issue",
            "--email",
            "bob@example.com",
            "--cn",
            "Bob",
            "--key-type",
            "ec-p256",
        ],
    );
    // And back into SQLite, through another PostgreSQL database as well.
    ok(
        d,
        &[
            "--master-key-file",
            key,
            "store",
            "copy",
            &db.url,
            &back_db.url,
        ],
    );
    let back = d.join("back");
    ok(
        d,
        &[
            "--master-key-file",
            key,
            "store",
            "copy",
            &back_db.url,
            back.to_str().unwrap(),
        ],
    );
    let a = ok(
        d,
        &[
            "--store",
            &db.url,
            "--master-key-file",
            key,
            "--json",
            "cert",
            "list",
        ],
    );
    let b = ok(
        d,
        &["--store", back.to_str().unwrap(), "--json", "cert", "list"],
    );
    assert_eq!(a, b);
    assert!(b.contains("bob@example.com"));
    // Connection errors: clear, exit 1, never the password.
    let missing = with_database(&db.url, "hpki_cli_missing");
    let err = fails(
        d,
        &[
            "--store",
            &missing,
            "--master-key-file",
            key,
            "cert",
            "list",
        ],
    );
    assert!(err.contains("does not exist"), "{err}");
    assert!(!err.contains(password), "{err}");
    let wrong = db.url.replacen(password, "wrong-password", 1);
    let err = fails(
        d,
        &["--store", &wrong, "--master-key-file", key, "cert", "list"],
    );
    assert!(err.contains("refused the credentials"), "{err}");
    assert!(!err.contains("wrong-password"), "{err}");
}

/// `store::conformance` ships only behind the `conformance` cargo feature (off by default).
#[test]
fn the_conformance_suite_is_behind_a_cargo_feature() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let manifest = std::fs::read_to_string(root.join("hermes-pki/Cargo.toml")).unwrap();
    let features = manifest
        .split("[features]")
        .nth(1)
        .expect("hermes-pki has a [features] table");
    let features = features.split("\n[").next().unwrap();
    assert!(
        features.lines().any(|l| l.trim() == "conformance = []"),
        "{features}"
    );
    assert!(
        !features
            .lines()
            .any(|l| l.trim_start().starts_with("default") && l.contains("conformance")),
        "conformance is not a default feature"
    );
    let store = std::fs::read_to_string(root.join("hermes-pki/src/store/mod.rs")).unwrap();
    let decl = store
        .find("pub mod conformance;")
        .expect("the conformance module");
    let before = &store[..decl];
    let attrs = &before[before.rfind(";\n").unwrap_or(0)..];
    assert!(
        attrs.contains("#[cfg(any(test, feature = \"conformance\"))]"),
        "the module is gated: {attrs}"
    );
}
