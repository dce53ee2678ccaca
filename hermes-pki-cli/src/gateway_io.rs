//! Streaming files of the `smime` commands: IN read as the operation goes (a file, or stdin for
//! `-`), each output file written beside OUT and renamed over it once the command succeeded.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::common::{CliError, CliResult};

/// IN, read as it is consumed: a file, or stdin for `-`.
pub fn open_input(path: &str) -> CliResult<Box<dyn Read>> {
    if path == "-" {
        return Ok(Box::new(std::io::stdin().lock()));
    }
    let file = std::fs::File::open(path).map_err(|e| {
        CliError::new(format!("cannot read {path}: {e}")).hint("check the file name and path")
    })?;
    Ok(Box::new(file))
}

/// The library's error for a failed write of `path`.
pub fn write_error(path: &Path, source: std::io::Error) -> hermes_pki::Error {
    hermes_pki::Error::Io {
        action: "cannot write",
        path: path.display().to_string(),
        source,
    }
}

/// An output file of a streaming command (`smime sign|encrypt|decrypt|protect|open`): written
/// to a temporary file beside OUT, created at the first byte, and renamed over OUT by
/// [`OutFile::commit`] once the command succeeded. Dropped without a commit, the temporary file
/// is removed: a failed or interrupted command leaves OUT as it was (whether or not it
/// existed), and no partial file under its name.
pub struct OutFile {
    path: PathBuf,
    file: Option<tempfile::NamedTempFile>,
    written: u64,
}

impl OutFile {
    /// OUT at `path`; nothing is created yet.
    pub fn new(path: PathBuf) -> Self {
        OutFile {
            path,
            file: None,
            written: 0,
        }
    }

    /// The bytes written so far.
    #[cfg(test)]
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Checks, before any of several outputs is committed, that the rename over OUT can
    /// succeed: OUT is not a directory.
    pub fn check_target(&self) -> hermes_pki::Result<()> {
        if self.path.is_dir() {
            return Err(write_error(
                &self.path,
                std::io::Error::new(std::io::ErrorKind::IsADirectory, "it is a directory"),
            ));
        }
        Ok(())
    }

    /// A temporary file in OUT's directory (so that the rename stays on one file system), with
    /// the permissions a newly created OUT would get (0666 less the umask).
    fn temporary(&self) -> std::io::Result<tempfile::NamedTempFile> {
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let mut builder = tempfile::Builder::new();
        builder.prefix(".hermes-pki-out-").suffix(".tmp");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        builder.tempfile_in(dir)
    }

    /// Syncs the output and renames it over OUT (an empty OUT when nothing was written);
    /// returns the bytes written.
    pub fn commit(mut self) -> hermes_pki::Result<u64> {
        let file = match self.file.take() {
            Some(f) => f,
            None => self.temporary().map_err(|e| write_error(&self.path, e))?,
        };
        file.as_file()
            .sync_all()
            .map_err(|e| write_error(&self.path, e))?;
        file.persist(&self.path)
            .map_err(|e| write_error(&self.path, e.error))?;
        Ok(self.written)
    }
}

impl Write for OutFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // The errors name the file.
        let named = |path: &Path, e: std::io::Error| {
            std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))
        };
        let file = match &mut self.file {
            Some(f) => f,
            None => {
                let f = self.temporary().map_err(|e| named(&self.path, e))?;
                self.file.insert(f)
            }
        };
        let n = file.write(buf).map_err(|e| named(&self.path, e))?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.as_mut().map_or(Ok(()), Write::flush)
    }
}

#[cfg(test)]
mod tests;
