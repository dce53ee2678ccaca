//! NSS (Thunderbird's crypto engine) as a peer: `certutil`, `pk12util` and `cmsutil` from
//! Debian's `libnss3-tools`, run on a certificate database in a test directory.
//!
//! Certificates are made as NSS's own S/MIME tests and Thunderbird's test data make them:
//! `certutil -S -x -2` for a self-signed CA (basicConstraints cA, answered "not critical" on
//! the prompt, no key identifiers), `certutil -S -c CA -7 EMAIL` for end users (only a
//! subjectAltName; no key usage, no key identifiers).
//!
//! Every helper panics with the tool's own output when it fails, so a broken fixture shows
//! why.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The NSS tools these tests run.
pub const TOOLS: [&str; 3] = ["certutil", "cmsutil", "pk12util"];

/// Fails, saying how to install them, when the NSS command-line tools are not on `PATH`.
pub fn require_tools() {
    for tool in TOOLS {
        // `certutil -H` and friends exit non-zero after printing usage; it is enough that
        // the program starts.
        if let Err(e) = Command::new(tool)
            .arg("-H")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
        {
            panic!(
                "the NSS interop tests need `{tool}` on PATH ({e}): install Debian's \
                 `libnss3-tools` (`apt-get install libnss3-tools`; scripts/test.sh installs it)"
            );
        }
    }
}

/// The result of a tool run: success, standard output, and stderr + stdout as text.
#[derive(Debug)]
pub struct Run {
    /// Whether the tool exited with status 0.
    pub ok: bool,
    /// Its standard output.
    pub stdout: Vec<u8>,
    /// Its standard error followed by its standard output, as text (for messages).
    pub text: String,
}

fn run(tool: &str, args: &[&str], dir: &Path, stdin: &[u8]) -> Run {
    let mut child = Command::new(tool)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run `{tool}` ({e}): install libnss3-tools (scripts/test.sh does)")
        });
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin).unwrap();
    drop(input);
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&stderr),
        String::from_utf8_lossy(&stdout)
    );
    Run {
        ok: status.success(),
        stdout,
        text,
    }
}

/// An NSS certificate database (`sql:` format, empty password) in a directory.
#[derive(Debug)]
pub struct NssDb {
    dir: PathBuf,
    db: String,
    next_serial: u32,
}

impl NssDb {
    /// A new, empty database in `dir` (created if missing).
    pub fn create(dir: &Path) -> NssDb {
        require_tools();
        std::fs::create_dir_all(dir).unwrap();
        let db = NssDb::open(dir);
        db.certutil(&["-N", "--empty-password"], b"");
        // certutil asks for keyboard noise unless given a file of random bytes.
        let mut noise = [0u8; 64];
        std::fs::File::open("/dev/urandom")
            .unwrap()
            .read_exact(&mut noise)
            .unwrap();
        std::fs::write(dir.join("noise"), noise).unwrap();
        db
    }

    /// The existing database in `dir` (e.g. a copy of another test's files).
    pub fn open(dir: &Path) -> NssDb {
        NssDb {
            dir: dir.to_path_buf(),
            db: format!("sql:{}", dir.display()),
            next_serial: 1000 + std::process::id() % 1000,
        }
    }

    /// The database directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The files that make up the database (to copy it).
    pub fn files(&self) -> Vec<(String, Vec<u8>)> {
        ["cert9.db", "key4.db", "pkcs11.txt"]
            .iter()
            .map(|f| (f.to_string(), std::fs::read(self.dir.join(f)).unwrap()))
            .collect()
    }

    /// Runs `tool args -d sql:DIR` in the database directory, feeding `stdin`.
    pub fn run(&self, tool: &str, args: &[&str], stdin: &[u8]) -> Run {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["-d", &self.db]);
        run(tool, &all, &self.dir, stdin)
    }

    /// `certutil args`; panics with its output when it fails.
    pub fn certutil(&self, args: &[&str], stdin: &[u8]) -> Vec<u8> {
        let r = self.run("certutil", args, stdin);
        assert!(r.ok, "certutil {} failed:\n{}", args.join(" "), r.text);
        r.stdout
    }

    fn serial(&mut self) -> String {
        self.next_serial += 1;
        self.next_serial.to_string()
    }

    /// A self-signed RSA-2048 CA `nick` with subject `subject` (NSS form, e.g.
    /// `CN=NSS Test CA,O=Example`), trusted for everything (`CT,C,C`), made as NSS's tests
    /// make it: `certutil -S -x -2`, answering the basicConstraints prompts "CA: yes, no path
    /// length, not critical"; no subject or authority key identifier.
    pub fn make_ca(&mut self, nick: &str, subject: &str) {
        let serial = self.serial();
        self.certutil(
            &[
                "-S", "-x", "-t", "CT,C,C", "-s", subject, "-n", nick, "-2", "-k", "rsa", "-g",
                "2048", "-Z", "SHA256", "-v", "24", "-m", &serial, "-z", "noise",
            ],
            b"y\n\nn\n",
        );
    }

    /// An RSA-2048 end-user certificate `nick` for `email`, issued by the CA `issuer` of this
    /// database: subject `CN=<nick>,E=<email>,O=Example`, only a subjectAltName extension
    /// (`-7 email`).
    pub fn make_user(&mut self, nick: &str, issuer: &str, email: &str) {
        let serial = self.serial();
        let subject = format!("CN={nick},E={email},O=Example");
        self.certutil(
            &[
                "-S", "-c", issuer, "-t", ",,", "-s", &subject, "-n", nick, "-k", "rsa", "-g",
                "2048", "-Z", "SHA256", "-v", "12", "-m", &serial, "-z", "noise", "-7", email,
            ],
            b"",
        );
    }

    /// The certificate `nick` as PEM (`certutil -L -a`).
    pub fn cert_pem(&self, nick: &str) -> Vec<u8> {
        self.certutil(&["-L", "-n", nick, "-a"], b"")
    }

    /// Adds a certificate (PEM or DER file bytes) as `nick` with trust flags `trust` (e.g.
    /// `C,C,C` for a trusted root, `,,` for none).
    pub fn add_cert(&self, nick: &str, cert: &[u8], trust: &str) {
        let file = self.dir.join(format!("{nick}.add.crt"));
        std::fs::write(&file, cert).unwrap();
        let mut args = vec!["-A", "-n", nick, "-t", trust, "-i"];
        let f = file.display().to_string();
        args.push(&f);
        if cert.starts_with(b"-----") {
            args.push("-a");
        }
        self.certutil(&args, b"");
    }

    /// `pk12util -o`: the certificate `nick`, its key and chain as PKCS#12 with `password`.
    pub fn export_p12(&self, nick: &str, password: &str) -> Vec<u8> {
        let file = self.dir.join(format!("{nick}.export.p12"));
        let f = file.display().to_string();
        let r = self.run(
            "pk12util",
            &["-o", &f, "-n", nick, "-W", password, "-K", ""],
            b"",
        );
        assert!(r.ok, "pk12util -o failed:\n{}", r.text);
        std::fs::read(file).unwrap()
    }

    /// `pk12util -i`: imports a PKCS#12 file (key and certificates, without trust).
    pub fn import_p12(&self, p12: &[u8], password: &str) {
        let file = self.dir.join("import.p12");
        std::fs::write(&file, p12).unwrap();
        let f = file.display().to_string();
        let r = self.run("pk12util", &["-i", &f, "-W", password, "-K", ""], b"");
        assert!(r.ok, "pk12util -i failed:\n{}", r.text);
    }

    /// `cmsutil -S -N nick -G -P` (signing time and S/MIME capabilities, as Thunderbird
    /// signs), with `-T` for a detached signature: the DER SignedData over `content`.
    pub fn sign(&self, nick: &str, content: &[u8], detached: bool) -> Vec<u8> {
        let mut args = vec!["-S", "-N", nick, "-G", "-P", "-H", "SHA256", "-p", ""];
        if detached {
            args.push("-T");
        }
        let r = self.run("cmsutil", &args, content);
        assert!(r.ok, "cmsutil {} failed:\n{}", args.join(" "), r.text);
        assert!(!r.stdout.is_empty(), "cmsutil -S wrote nothing");
        r.stdout
    }

    /// `cmsutil -E -r recipients`: the DER EnvelopedData of `content` (NSS picks the cipher).
    pub fn encrypt(&self, recipients: &[&str], content: &[u8]) -> Vec<u8> {
        let to = recipients.join(",");
        let r = self.run("cmsutil", &["-E", "-r", &to], content);
        assert!(r.ok, "cmsutil -E -r {to} failed:\n{}", r.text);
        assert!(!r.stdout.is_empty(), "cmsutil -E wrote nothing");
        r.stdout
    }

    /// `cmsutil -D -h 0` of a CMS message (with `detached` content for a detached signature):
    /// NSS decodes it, verifies each signature and the signer's chain for email signing (with
    /// this database's trust), decrypts with this database's keys. The result's text has the
    /// header lines (`signer0.status=GoodSignature`), its stdout the content.
    pub fn decode(&self, cms: &[u8], detached: Option<&[u8]>) -> Run {
        self.cmsutil_decode(cms, detached, true)
    }

    /// `cmsutil -D` without header output: what Thunderbird's engine does with the message,
    /// failing when a signature or the signer's chain is not good. Its stdout is the content.
    pub fn decode_content(&self, cms: &[u8], detached: Option<&[u8]>) -> Run {
        self.cmsutil_decode(cms, detached, false)
    }

    fn cmsutil_decode(&self, cms: &[u8], detached: Option<&[u8]>, headers: bool) -> Run {
        let input = self.dir.join("decode-in.p7m");
        std::fs::write(&input, cms).unwrap();
        let i = input.display().to_string();
        let content_file = self.dir.join("decode-content.bin");
        let c = content_file.display().to_string();
        let mut args = vec!["-D", "-p", "", "-i", &i];
        if headers {
            args.extend(["-h", "0"]);
        }
        if let Some(content) = detached {
            std::fs::write(&content_file, content).unwrap();
            args.extend(["-c", &c]);
        }
        self.run("cmsutil", &args, b"")
    }
}
