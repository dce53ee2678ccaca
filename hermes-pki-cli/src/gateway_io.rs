//! Streaming files for `smime protect` and `smime open`: IN read as the operation goes (a file,
//! or stdin for `-`), each output file created at its first byte and removed again when the
//! command fails after that.

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

/// An output file created at its first byte (a command that fails before writing anything
/// leaves no file behind); [`LazyFile::discard`] removes it again.
pub struct LazyFile {
    path: PathBuf,
    file: Option<std::fs::File>,
    written: u64,
}

impl LazyFile {
    /// `path`, not created yet.
    pub fn new(path: PathBuf) -> Self {
        LazyFile {
            path,
            file: None,
            written: 0,
        }
    }

    /// `path`, created now.
    pub fn create(path: PathBuf) -> hermes_pki::Result<Self> {
        let file = std::fs::File::create(&path).map_err(|e| write_error(&path, e))?;
        Ok(LazyFile {
            path,
            file: Some(file),
            written: 0,
        })
    }

    /// Creates the file if nothing was written (an empty product is a file too), and syncs it.
    pub fn finish(mut self) -> hermes_pki::Result<u64> {
        let file = match self.file.take() {
            Some(f) => f,
            None => std::fs::File::create(&self.path).map_err(|e| write_error(&self.path, e))?,
        };
        file.sync_all().map_err(|e| write_error(&self.path, e))?;
        Ok(self.written)
    }

    /// Removes the file when it was created.
    pub fn discard(self) {
        if self.file.is_some() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl Write for LazyFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // The errors name the file.
        let named = |e: std::io::Error| {
            std::io::Error::new(e.kind(), format!("{}: {e}", self.path.display()))
        };
        let file = match &mut self.file {
            Some(f) => f,
            None => self
                .file
                .insert(std::fs::File::create(&self.path).map_err(named)?),
        };
        let n = file.write(buf).map_err(named)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.as_mut().map_or(Ok(()), Write::flush)
    }
}
