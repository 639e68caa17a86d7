//! Reading the files an operator points at (suppressions, seed SQL, saved snapshots, history,
//! bills): regular files only, read with a size cap, so `/dev/zero` or a FIFO with no writer is a
//! quick error naming the file instead of memory growing until it runs out or a wait forever.

use crate::{Error, Result};
use std::io::Read;
use std::path::{Path, PathBuf};

/// One mebibyte, the unit of the caps.
pub const MIB: u64 = 1024 * 1024;

fn refused(path: &Path, what: &str, reason: String) -> Error {
    Error::Input {
        location: path.display().to_string(),
        reason: format!("cannot read {what}: {reason}"),
        fix: format!("point it at a regular file (not a device, a pipe or a folder) with {what}"),
    }
}

/// Checks, without opening it, that `path` is a regular file of at most `cap` bytes; returns its
/// size. A FIFO is refused here, before an open that would wait for a writer.
pub fn regular_file(path: &Path, cap: u64, what: &str) -> Result<u64> {
    let meta = std::fs::metadata(path).map_err(|e| refused(path, what, e.to_string()))?;
    if !meta.file_type().is_file() {
        let kind = if meta.is_dir() { "a folder" } else { "not a regular file (a device, a pipe or a socket)" };
        return Err(refused(path, what, format!("it is {kind}")));
    }
    if meta.len() > cap {
        return Err(refused(path, what, format!("it is larger than {} MiB", cap / MIB)));
    }
    Ok(meta.len())
}

/// A configured path (`var`), refused at configuration when it exists and is not a regular file
/// (`/dev/zero`, a FIFO, a folder), so a check that would be skipped still says so. A missing
/// file is left to the reader, which names it.
pub fn configured(var: &str, path: PathBuf) -> Result<PathBuf> {
    match std::fs::metadata(&path) {
        Ok(meta) if !meta.file_type().is_file() => Err(Error::config(
            format!("{var} `{}` is not a regular file (it is a device, a pipe, a socket or a folder)", path.display()),
            format!("point {var} at a regular file"),
        )),
        _ => Ok(path),
    }
}

/// Reads a regular file of at most `cap` bytes; errors name the file and say what it was for.
pub fn read_bounded(path: &Path, cap: u64, what: &str) -> Result<Vec<u8>> {
    regular_file(path, cap, what)?;
    let file = std::fs::File::open(path).map_err(|e| refused(path, what, e.to_string()))?;
    // the file may have been swapped between the check and the open: check what was opened
    let opened = file.metadata().map_err(|e| refused(path, what, e.to_string()))?;
    if !opened.file_type().is_file() {
        return Err(refused(path, what, "it is not a regular file".into()));
    }
    let mut body = Vec::new();
    file.take(cap + 1).read_to_end(&mut body).map_err(|e| refused(path, what, e.to_string()))?;
    if body.len() as u64 > cap {
        return Err(refused(path, what, format!("it is larger than {} MiB", cap / MIB)));
    }
    Ok(body)
}

/// [`read_bounded`], as UTF-8 text.
pub fn read_bounded_text(path: &Path, cap: u64, what: &str) -> Result<String> {
    String::from_utf8(read_bounded(path, cap, what)?)
        .map_err(|e| refused(path, what, format!("it is not UTF-8 text ({e})")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_folders_and_oversized_files_are_refused() {
        let e = read_bounded(Path::new("/dev/zero"), MIB, "the test file").unwrap_err().to_string();
        assert!(e.contains("/dev/zero") && e.contains("not a regular file"), "{e}");
        let dir = std::env::temp_dir();
        assert!(read_bounded(&dir, MIB, "x").unwrap_err().to_string().contains("folder"));
        let p = dir.join(format!("bridge-files-{}", std::process::id()));
        std::fs::write(&p, vec![b'a'; (MIB + 1) as usize]).unwrap();
        let e = read_bounded(&p, MIB, "x").unwrap_err().to_string();
        assert!(e.contains("larger than 1 MiB"), "{e}");
        assert_eq!(read_bounded(&p, 2 * MIB, "x").unwrap().len(), (MIB + 1) as usize);
        std::fs::remove_file(&p).unwrap();
    }
}
