//! The output file: replaced only when complete, nothing left behind, ordinary permissions.

use std::io::Write;

use super::OutFile;

fn temporaries(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".hermes-pki-out-"))
        .collect()
}

/// Output given up halfway (the operation failed after its first byte) leaves an existing
/// OUT as it was and removes the temporary file; a committed one replaces OUT whole.
#[test]
fn out_is_replaced_only_when_complete() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.eml");
    std::fs::write(&path, b"the previous output").unwrap();

    let mut out = OutFile::new(path.clone());
    out.write_all(b"half of a new ").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"the previous output");
    assert_eq!(temporaries(dir.path()).len(), 1, "written beside OUT");
    drop(out);
    assert_eq!(std::fs::read(&path).unwrap(), b"the previous output");
    assert!(temporaries(dir.path()).is_empty());

    let mut out = OutFile::new(path.clone());
    out.write_all(b"a new ").unwrap();
    out.write_all(b"output").unwrap();
    assert_eq!(out.written(), 12);
    assert_eq!(out.commit().unwrap(), 12);
    assert_eq!(std::fs::read(&path).unwrap(), b"a new output");
    assert!(temporaries(dir.path()).is_empty());

    // Nothing written: OUT is created empty, as a command with an empty product would.
    let empty = dir.path().join("empty.eml");
    OutFile::new(empty.clone()).commit().unwrap();
    assert_eq!(std::fs::read(&empty).unwrap(), b"");
}

/// A new OUT gets the permissions `File::create` would give it (0666 less the umask),
/// not the temporary file's 0600.
#[cfg(unix)]
#[test]
fn a_new_out_gets_ordinary_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let reference = dir.path().join("reference");
    std::fs::File::create(&reference).unwrap();
    let path = dir.path().join("out.eml");
    let mut out = OutFile::new(path.clone());
    out.write_all(b"x").unwrap();
    out.commit().unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), mode(&reference));
}
