//! The `hermes-pki` command-line tool, run as a user runs it, for interop tests of what it
//! writes (`cms sign` output checked by OpenSSL, NSS and gpgsm).
//!
//! The binary is `HERMES_PKI_BIN` when set, else `target/<profile>/hermes-pki` beside this
//! test's executable: `cargo test --workspace` (what CI runs) builds it in the same run. For a
//! narrower run, build it first (`cargo build -p hermes-pki-cli`); a binary older than the
//! library's or the CLI's sources earns a note on stderr (not a failure: cargo does not relink
//! it for a change that does not reach it, such as a `#[cfg(test)]` file).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

/// The newest modification time of the files under `dir`.
fn newest(dir: &Path) -> Option<SystemTime> {
    let mut best = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let t = if path.is_dir() {
            newest(&path)
        } else {
            entry.metadata().ok().and_then(|m| m.modified().ok())
        };
        best = best.max(t);
    }
    best
}

/// The `hermes-pki` binary to run; panics, saying how to build it, when it is missing.
pub fn binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("HERMES_PKI_BIN") {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/<test executable>
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test executable is in target/<profile>/deps");
    let bin = profile_dir.join(format!("hermes-pki{}", std::env::consts::EXE_SUFFIX));
    let built = std::fs::metadata(&bin)
        .and_then(|m| m.modified())
        .unwrap_or_else(|_| {
            panic!(
                "{} is missing: build it with `cargo build -p hermes-pki-cli` (`cargo test \
                 --workspace` builds it), or set HERMES_PKI_BIN",
                bin.display()
            )
        });
    // Only a hint: cargo does not relink the binary for a change it does not depend on (a
    // `#[cfg(test)]` file), so an older binary is not necessarily a stale one.
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for src in ["hermes-pki/src", "hermes-pki-cli/src"] {
        if newest(&workspace.join(src)).is_some_and(|changed| changed > built) {
            eprintln!(
                "note: {} is older than a file in {src}; if the test fails, rebuild it with \
                 `cargo build -p hermes-pki-cli` (`cargo test --workspace` does)",
                bin.display()
            );
        }
    }
    bin
}

/// A `hermes-pki` store in a directory.
#[derive(Debug)]
pub struct CliStore {
    bin: PathBuf,
    dir: PathBuf,
    store: PathBuf,
}

impl CliStore {
    /// A new store `dir/store`, commands run in `dir`.
    pub fn new(dir: &Path) -> CliStore {
        CliStore {
            bin: binary(),
            dir: dir.to_path_buf(),
            store: dir.join("store"),
        }
    }

    /// Runs `hermes-pki --store STORE args` in the directory: (success, stdout, all output).
    pub fn run(&self, args: &[&str]) -> (bool, Vec<u8>, String) {
        let out = Command::new(&self.bin)
            .current_dir(&self.dir)
            .env_remove("HERMES_PKI_STORE")
            .env_remove("HERMES_PKI_ALLOW_KEY_EXPORT")
            .arg("--store")
            .arg(&self.store)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.bin.display()));
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        (out.status.success(), out.stdout, text)
    }

    /// Runs a command that must succeed; its stdout.
    pub fn ok(&self, args: &[&str]) -> Vec<u8> {
        let (ok, stdout, text) = self.run(args);
        assert!(ok, "hermes-pki {} failed:\n{text}", args.join(" "));
        stdout
    }

    /// A file in the directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Creates an RSA-2048 root `root_cn` with the issuing intermediate `intermediate_cn`
    /// (`ca create --intermediate-cn`) and writes the root's certificate to `root.pem`.
    pub fn create_ca(&self, root_cn: &str, intermediate_cn: &str) -> PathBuf {
        self.ok(&[
            "ca",
            "create",
            "--cn",
            root_cn,
            "--org",
            "Example",
            "--key-size",
            "2048",
            "--intermediate-cn",
            intermediate_cn,
        ]);
        let root = self.path("root.pem");
        let r = root.display().to_string();
        self.ok(&["ca", "export", root_cn, "--out", &r]);
        root
    }

    /// Issues an RSA-2048 certificate for `email` from the default CA (`issue`).
    pub fn issue(&self, email: &str, cn: &str) {
        self.ok(&["issue", "--email", email, "--cn", cn, "--key-size", "2048"]);
    }

    /// `cms sign --signer signer [--detached] content`: the DER SignedData.
    pub fn cms_sign(&self, signer: &str, content: &[u8], detached: bool) -> Vec<u8> {
        let input = self.path("cms-sign-in.bin");
        let output = self.path("cms-sign-out.p7");
        std::fs::write(&input, content).unwrap();
        let _ = std::fs::remove_file(&output);
        let (i, o) = (input.display().to_string(), output.display().to_string());
        let mut args = vec!["cms", "sign", "--signer", signer];
        if detached {
            args.push("--detached");
        }
        args.extend([i.as_str(), o.as_str()]);
        self.ok(&args);
        std::fs::read(output).unwrap()
    }
}
