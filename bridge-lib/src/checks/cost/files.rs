//! What the billed exports and the ledger files share: the file type by extension, and the
//! compressed exports (`.csv.gz`, as AWS Data Exports deliver FOCUS; a `.zip` of CSVs, as
//! Pinecone's FOCUS export comes) opened as the CSVs inside them. Reads go through
//! [`crate::files`], which refuses anything but a regular file and bounds the size; what is
//! decompressed is bounded too, whatever the archive claims, so a zip bomb stops at the cap.

use crate::{Error, Result};
use flate2::read::{DeflateDecoder, GzDecoder};
use std::io::Read;
use std::path::Path;

/// The file's extension, lower case (`""` when it has none).
pub(crate) fn extension(path: &Path) -> String {
    path.extension().and_then(|e| e.to_str()).unwrap_or("").to_lowercase()
}

/// The file's type, looking through `.gz`: `csv` for `bill.csv` and `bill.csv.gz`, `gz` for a
/// `.gz` of anything else.
pub(crate) fn kind(path: &Path) -> String {
    let ext = extension(path);
    if ext == "gz" {
        let inner = path.file_stem().map(Path::new).map(extension).unwrap_or_default();
        if inner == "csv" {
            return "csv.gz".into();
        }
    }
    ext
}

/// One CSV of an export: its name in messages (`bill.zip!focus.csv`) and its bytes.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Reads a `.csv`, `.csv.gz` or `.zip` of CSVs as its CSVs, none of them decompressed past `cap`
/// bytes; `what` names the file in messages (`the cost export`).
pub(crate) fn read_csvs(path: &Path, cap: u64, what: &str) -> Result<Vec<Member>> {
    let name = path.display().to_string();
    let raw = crate::files::read_bounded(path, cap, what)?;
    match kind(path).as_str() {
        "csv" => Ok(vec![Member { name, bytes: raw }]),
        "csv.gz" => Ok(vec![Member { bytes: inflate(&name, GzDecoder::new(raw.as_slice()), cap)?, name }]),
        "zip" => unzip(&name, &raw, cap),
        other => {
            Err(Error::input(&name, format!("`.{other}` is not a CSV, .csv.gz or .zip of CSVs"), "export it as CSV"))
        }
    }
}

/// Decompresses up to `cap` bytes; more is an error (a bomb, or an export past the limit).
fn inflate(name: &str, r: impl Read, cap: u64) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    r.take(cap + 1).read_to_end(&mut out).map_err(|e| {
        Error::input(name, format!("cannot decompress it: {e}"), "export it again, or unpack it and list the CSV")
    })?;
    if out.len() as u64 > cap {
        return Err(too_big(name, cap));
    }
    Ok(out)
}

fn too_big(name: &str, cap: u64) -> Error {
    Error::input(
        name,
        format!("decompresses to more than {} MiB", cap / crate::files::MIB),
        "split the export into smaller files (one month or one provider each)",
    )
}

fn u16_at(b: &[u8], at: usize) -> Option<usize> {
    b.get(at..at + 2).map(|x| usize::from(u16::from_le_bytes([x[0], x[1]])))
}

fn u32_at(b: &[u8], at: usize) -> Option<usize> {
    b.get(at..at + 4).map(|x| u32::from_le_bytes([x[0], x[1], x[2], x[3]]) as usize)
}

/// The CSVs of a zip archive (stored or deflated; not encrypted, not zip64), in archive order,
/// at most `cap` decompressed bytes in all. Other members (folders, a README) are skipped.
fn unzip(name: &str, b: &[u8], cap: u64) -> Result<Vec<Member>> {
    let bad = |why: &str| {
        Error::input(
            name,
            format!("not a readable zip archive: {why}"),
            "zip the CSVs again, or unpack them and list each CSV",
        )
    };
    // the end of central directory record: 22 bytes, within the last 64 KiB + 22
    let from = b.len().saturating_sub(65_557);
    let eocd = (from..b.len().saturating_sub(21))
        .rev()
        .find(|&i| b[i..i + 4] == [0x50, 0x4b, 0x05, 0x06])
        .ok_or_else(|| bad("no central directory"))?;
    let entries = u16_at(b, eocd + 10).ok_or_else(|| bad("truncated"))?;
    let mut at = u32_at(b, eocd + 16).ok_or_else(|| bad("truncated"))?;
    let (mut out, mut total) = (Vec::new(), 0u64);
    for _ in 0..entries {
        if u32_at(b, at) != Some(0x0201_4b50) {
            return Err(bad("a broken central directory entry"));
        }
        let field = |off: usize| u16_at(b, at + off).ok_or_else(|| bad("truncated"));
        let (flags, method) = (field(8)?, field(10)?);
        let size = u32_at(b, at + 20).ok_or_else(|| bad("truncated"))?;
        let (name_len, extra_len, comment_len) = (field(28)?, field(30)?, field(32)?);
        let local = u32_at(b, at + 42).ok_or_else(|| bad("truncated"))?;
        let member = b.get(at + 46..at + 46 + name_len).ok_or_else(|| bad("truncated"))?;
        let member = String::from_utf8_lossy(member).to_string();
        at += 46 + name_len + extra_len + comment_len;
        if !member.to_lowercase().ends_with(".csv") || member.contains("__MACOSX") {
            continue;
        }
        let inner = format!("{name}!{member}");
        if flags & 1 != 0 || size == u32::MAX as usize {
            return Err(bad(&format!("{member} is encrypted or zip64")));
        }
        if u32_at(b, local) != Some(0x0403_4b50) {
            return Err(bad(&format!("{member} has no local header")));
        }
        let start = local + 30 + u16_at(b, local + 26).unwrap_or(0) + u16_at(b, local + 28).unwrap_or(0);
        let data = b.get(start..start + size).ok_or_else(|| bad(&format!("{member} is truncated")))?;
        let left = cap.saturating_sub(total);
        let bytes = match method {
            0 if data.len() as u64 <= left => data.to_vec(),
            0 => return Err(too_big(name, cap)),
            8 => inflate(&inner, DeflateDecoder::new(data), left)?,
            m => return Err(bad(&format!("{member} uses compression method {m}; only stored and deflate are read"))),
        };
        total += bytes.len() as u64;
        out.push(Member { name: inner, bytes });
    }
    if out.is_empty() {
        return Err(Error::input(name, "the zip archive has no .csv file", "zip the export's CSV files"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
