//! gpgsm (GnuPG's S/MIME tool, KMail's engine) as a peer, in a throw-away `GNUPGHOME`.
//!
//! A [`GpgHome`] is set up for non-interactive use: `allow-loopback-pinentry` (and the
//! cheapest key protection, `s2k-count 65536`, to keep the tests fast) for the agent,
//! `disable-crl-checks` and `disable-dirmngr` for gpgsm (no network), every command run with
//! `--batch --pinentry-mode loopback --passphrase-fd 0` (the passphrase of imported keys on
//! standard input), and the trusted roots in `trustlist.txt` (`<SHA-1> S relax`), written
//! before any agent starts (the agent reads it once). Dropping it runs `gpgconf --kill all`
//! for that home, so no gpg-agent outlives the test.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The passphrase of every key imported into a [`GpgHome`].
pub const PASSPHRASE: &str = "interop-secret";

/// Fails, saying how to install them, when `gpgsm` or `gpgconf` cannot be run.
pub fn require_tools() -> String {
    for tool in ["gpgsm", "gpgconf", "gpg-agent"] {
        match Command::new(tool).arg("--version").output() {
            Ok(out) if out.status.success() => {}
            Ok(out) => panic!(
                "`{tool} --version` failed ({}): the gpgsm interop tests need a working GnuPG",
                String::from_utf8_lossy(&out.stderr)
            ),
            Err(e) => panic!(
                "the gpgsm interop tests need `{tool}` on PATH ({e}): install Debian's `gpgsm` \
                 (`apt-get install gpgsm`; scripts/test.sh installs it)"
            ),
        }
    }
    let out = Command::new("gpgsm").arg("--version").output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap_or("gpgsm")
        .to_string()
}

/// The result of a gpgsm run.
#[derive(Debug)]
pub struct Run {
    /// Whether gpgsm exited with status 0.
    pub ok: bool,
    /// Its standard output (the `--status-fd 1` lines when asked for, else the data).
    pub stdout: Vec<u8>,
    /// Its standard error and standard output as text (for messages).
    pub text: String,
}

impl Run {
    /// The `[GNUPG:] KEYWORD ...` status lines (with `--status-fd 1`), without the prefix.
    pub fn status(&self) -> Vec<String> {
        String::from_utf8_lossy(&self.stdout)
            .lines()
            .filter_map(|l| l.strip_prefix("[GNUPG:] "))
            .map(str::to_string)
            .collect()
    }

    /// Whether a status line starts with `keyword`.
    pub fn has_status(&self, keyword: &str) -> bool {
        self.status()
            .iter()
            .any(|l| l == keyword || l.starts_with(&format!("{keyword} ")))
    }
}

/// A temporary GnuPG home for gpgsm; its agent is killed when it is dropped.
#[derive(Debug)]
pub struct GpgHome {
    home: tempfile::TempDir,
    work: PathBuf,
}

impl GpgHome {
    /// A new home that trusts the roots `trusted` (PEM files' paths) for S/MIME.
    ///
    /// The home lives directly under `/tmp` when the system's temporary directory has a long
    /// path: the agent's socket path must stay under about 100 bytes.
    pub fn new(trusted: &[&Path]) -> GpgHome {
        require_tools();
        let tmp = std::env::temp_dir();
        let base = if tmp.as_os_str().len() > 40 {
            PathBuf::from("/tmp")
        } else {
            tmp
        };
        let home = tempfile::Builder::new()
            .prefix("gs")
            .tempdir_in(base)
            .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        // The least key-protection work the agent allows (it otherwise calibrates its S2K
        // count to 100 ms, seconds on a loaded machine, for every import and decryption).
        std::fs::write(
            home.path().join("gpg-agent.conf"),
            "allow-loopback-pinentry\ns2k-count 65536\n",
        )
        .unwrap();
        std::fs::write(
            home.path().join("gpgsm.conf"),
            "disable-crl-checks\ndisable-dirmngr\n",
        )
        .unwrap();
        let work = home.path().join("w");
        std::fs::create_dir(&work).unwrap();
        let mut trustlist = String::new();
        for root in trusted {
            let fp = crate::fingerprint(&work, root, "sha1");
            let colons: Vec<String> = fp
                .as_bytes()
                .chunks(2)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect();
            trustlist.push_str(&format!("{} S relax\n", colons.join(":")));
        }
        std::fs::write(home.path().join("trustlist.txt"), trustlist).unwrap();
        let home = GpgHome { home, work };
        for root in trusted {
            home.import(&std::fs::read(root).unwrap());
        }
        home
    }

    /// A working directory inside the home, for message files.
    pub fn work(&self) -> &Path {
        &self.work
    }

    /// Writes `data` to `name` in the working directory; returns the path as text.
    pub fn file(&self, name: &str, data: &[u8]) -> String {
        let p = self.work.join(name);
        std::fs::write(&p, data).unwrap();
        p.display().to_string()
    }

    /// Runs `gpgsm --batch --pinentry-mode loopback --passphrase-fd 0 args`, the passphrase
    /// on standard input.
    pub fn run(&self, args: &[&str]) -> Run {
        let mut child = Command::new("gpgsm")
            .env("GNUPGHOME", self.home.path())
            .current_dir(&self.work)
            .args([
                "--batch",
                "--no-tty",
                "--pinentry-mode",
                "loopback",
                "--passphrase-fd",
                "0",
            ])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run gpgsm ({e}): install gpgsm"));
        let mut stdin = child.stdin.take().unwrap();
        // gpgsm may not read it (nothing asks for a passphrase): ignore a broken pipe.
        let _ = stdin.write_all(format!("{PASSPHRASE}\n").as_bytes());
        drop(stdin);
        let out = child.wait_with_output().unwrap();
        Run {
            ok: out.status.success(),
            text: format!(
                "{}{}",
                String::from_utf8_lossy(&out.stderr),
                String::from_utf8_lossy(&out.stdout)
            ),
            stdout: out.stdout,
        }
    }

    /// Runs gpgsm and panics with its output when it fails.
    pub fn ok(&self, args: &[&str]) -> Run {
        let r = self.run(args);
        assert!(r.ok, "gpgsm {} failed:\n{}", args.join(" "), r.text);
        r
    }

    /// `gpgsm --import` of certificates (PEM or DER).
    pub fn import(&self, certs: &[u8]) {
        let f = self.file("import.crt", certs);
        self.ok(&["--import", &f]);
    }

    /// `gpgsm --import` of a PKCS#12 file whose password is [`PASSPHRASE`] (the key keeps it).
    pub fn import_p12(&self, p12: &[u8]) {
        let f = self.file("import.p12", p12);
        let r = self.ok(&["--import", &f]);
        assert!(
            r.text.contains("secret keys imported: 1"),
            "gpgsm imported no secret key:\n{}",
            r.text
        );
    }

    /// `gpgsm --sign` (`--detach-sign` when `detached`) by `signer` (an email address) of
    /// `content`, binary or `--armor`.
    pub fn sign(&self, signer: &str, content: &[u8], detached: bool, armor: bool) -> Vec<u8> {
        let input = self.file("sign-in.txt", content);
        let output = self.work.join("sign-out.p7");
        let _ = std::fs::remove_file(&output);
        let o = output.display().to_string();
        let mut args = vec!["-u", signer, "-o", &o];
        if armor {
            args.push("--armor");
        }
        args.push(if detached { "--detach-sign" } else { "--sign" });
        args.push(&input);
        self.ok(&args);
        std::fs::read(output).unwrap()
    }

    /// `gpgsm --encrypt -r recipient` of `content`, binary or `--armor`.
    pub fn encrypt(&self, recipient: &str, content: &[u8], armor: bool) -> Vec<u8> {
        let input = self.file("encrypt-in.txt", content);
        let output = self.work.join("encrypt-out.p7m");
        let _ = std::fs::remove_file(&output);
        let o = output.display().to_string();
        let mut args = vec!["-r", recipient, "-o", &o];
        if armor {
            args.push("--armor");
        }
        args.extend(["--encrypt", &input]);
        self.ok(&args);
        std::fs::read(output).unwrap()
    }

    /// `gpgsm --status-fd 1 --verify` of a SignedData (with `detached` content for a detached
    /// signature; else the content is written to a file). The status lines are the run's
    /// stdout; the content (opaque signatures) is returned beside it.
    pub fn verify(&self, cms: &[u8], detached: Option<&[u8]>) -> (Run, Vec<u8>) {
        let sig = self.file("verify-in.p7", cms);
        let output = self.work.join("verify-out.txt");
        let _ = std::fs::remove_file(&output);
        let o = output.display().to_string();
        let run = match detached {
            Some(content) => {
                let c = self.file("verify-content.txt", content);
                self.run(&["--status-fd", "1", "--verify", &sig, &c])
            }
            None => self.run(&["--status-fd", "1", "-o", &o, "--verify", &sig]),
        };
        let content = std::fs::read(output).unwrap_or_default();
        (run, content)
    }

    /// `gpgsm --decrypt` of an EnvelopedData: the run (stdout is the plaintext).
    pub fn decrypt(&self, cms: &[u8]) -> Run {
        let f = self.file("decrypt-in.p7m", cms);
        self.run(&["--decrypt", &f])
    }
}

impl Drop for GpgHome {
    fn drop(&mut self) {
        // Stops the gpg-agent (and any dirmngr) started for this home, and only those.
        let _ = Command::new("gpgconf")
            .env("GNUPGHOME", self.home.path())
            .args(["--kill", "all"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}
