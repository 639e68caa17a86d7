//! CSV read strictly (the `csv` crate, no polars): every malformed input is one short error
//! naming the file, the line and the column, never the file's contents and never a panic.
//! Bills are read into a [`Table`] here; ledger files use [`check_header`] before polars scans
//! them and [`diagnose`] to locate what polars could not read.
//!
//! What is refused: an empty file, a header without rows, text that is not UTF-8 (binary, or
//! UTF-16), NUL bytes, a row with more or fewer fields than the header (a decimal comma, a
//! comma in an unquoted value), a quote left open to the end of the file, a line over
//! [`MAX_RECORD`] bytes, and two columns of the same name (also after squashing case, `_` and
//! spaces, the way columns are found). A UTF-8 byte order mark is skipped.

use crate::{Error, Result};
use std::io::Read;

/// The longest row read (bytes): beyond it the file is not the CSV it claims to be.
pub const MAX_RECORD: u64 = 1024 * 1024;

/// A small table with every value as text, and how to name its rows.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// Column names as written.
    pub names: Vec<String>,
    /// Columns of values.
    pub columns: Vec<Vec<Option<String>>>,
    /// True for CSV (rows are named by file line), false for Parquet (by data row).
    pub csv: bool,
    /// The file line each row starts on (CSV; empty: line = row + 2).
    pub lines: Vec<u64>,
}

/// A column name as columns are matched: ASCII letters and digits, lower case.
pub fn squash(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_lowercase()
}

/// A value as an error may quote it: at most 40 characters, control characters escaped.
pub fn clip(v: &str) -> String {
    clip_to(v, 40)
}

/// [`clip`] to `n` characters (a list of column names).
pub fn clip_to(v: &str, n: usize) -> String {
    let mut out: String = v.chars().take(n).flat_map(char::escape_debug).collect();
    if v.chars().count() > n {
        out.push('…');
    }
    out
}

/// Two columns whose names are the same once squashed are an error naming both.
pub fn check_names(name: &str, names: &[String]) -> Result<()> {
    for (i, a) in names.iter().enumerate() {
        if let Some(b) = names[..i].iter().find(|b| squash(b) == squash(a)) {
            return Err(Error::input(
                name,
                format!("two columns are the same column: `{}` and `{}`", clip(b), clip(a)),
                "rename or drop one of them; columns are matched ignoring case, `_` and spaces",
            ));
        }
    }
    Ok(())
}

fn reader<R: Read>(r: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(r)
}

fn at(name: &str, line: u64) -> String {
    format!("{name}, line {line}")
}

/// Reads every record after the header, checked; `row` gets each one with its line.
fn scan<R: Read>(name: &str, r: R, mut row: impl FnMut(u64, Vec<String>) -> Result<()>) -> Result<Vec<String>> {
    let mut rd = reader(r);
    let mut rec = csv::ByteRecord::new();
    let mut header: Option<Vec<String>> = None;
    let mut rows = 0u64;
    loop {
        let start = rd.position().clone();
        let more = rd.read_byte_record(&mut rec).map_err(|e| {
            let line = e.position().map_or(start.line(), csv::Position::line);
            Error::input(at(name, line), "cannot be read as CSV", "export it again as UTF-8 CSV")
        })?;
        if !more {
            break;
        }
        let line = rec.position().map_or(start.line(), csv::Position::line);
        if rd.position().byte() - start.byte() > MAX_RECORD {
            return Err(Error::input(
                at(name, line),
                format!("the row is over {} KiB long (a quote left open, or not a CSV file?)", MAX_RECORD / 1024),
                "export it again as CSV; quote values that contain commas or line breaks",
            ));
        }
        // a quote never closed runs to the end of the file: that row then spans several lines
        if rd.is_done() && rec.iter().any(|f| f.contains(&b'\n') || f.contains(&b'\r')) {
            return Err(Error::input(
                at(name, line),
                "a quote opened on this line is never closed",
                "close the quote, or export the file again",
            ));
        }
        let fields = fields(name, line, &rec, header.as_deref())?;
        match &header {
            None => {
                let mut names = fields;
                if let Some(first) = names.first_mut() {
                    *first = first.trim_start_matches('\u{feff}').to_string();
                }
                check_names(name, &names)?;
                header = Some(names);
            }
            Some(h) => {
                if fields.len() != h.len() {
                    return Err(ragged(name, line, fields.len(), h.len()));
                }
                rows += 1;
                row(line, fields)?;
            }
        }
    }
    match header {
        None => Err(Error::input(name, "the file is empty", "export it again; a valid export has a header and rows")),
        Some(_) if rows == 0 => {
            Err(Error::input(name, "the file has a header but no rows", "export a period that has rows"))
        }
        Some(h) => Ok(h),
    }
}

fn ragged(name: &str, line: u64, got: usize, want: usize) -> Error {
    Error::input(
        at(name, line),
        format!("{got} fields where the header has {want} (a decimal comma, or a comma in an unquoted value?)"),
        "write decimals with a point (0.5), and quote values that contain commas",
    )
}

/// A record's fields as UTF-8 text without NUL bytes; `header` names the column at fault.
fn fields(name: &str, line: u64, rec: &csv::ByteRecord, header: Option<&[String]>) -> Result<Vec<String>> {
    let column = |i: usize| match header.and_then(|h| h.get(i)) {
        Some(c) => format!(", column `{}`", clip(c)),
        None => format!(", field {}", i + 1),
    };
    rec.iter()
        .enumerate()
        .map(|(i, f)| {
            if f.contains(&0) {
                return Err(Error::input(
                    format!("{}{}", at(name, line), column(i)),
                    "a NUL byte (a binary or UTF-16 file?)",
                    "export it again as UTF-8 CSV",
                ));
            }
            String::from_utf8(f.to_vec()).map_err(|_| {
                Error::input(
                    format!("{}{}", at(name, line), column(i)),
                    "not UTF-8 text (a binary file, or another encoding?)",
                    "export it again as UTF-8 CSV",
                )
            })
        })
        .collect()
}

/// Reads a CSV into a table of text, every row checked.
pub fn read_table(name: &str, bytes: &[u8]) -> Result<Table> {
    let mut cols: Vec<Vec<Option<String>>> = Vec::new();
    let mut lines = Vec::new();
    let names = scan(name, bytes, |line, fields| {
        if cols.is_empty() {
            cols = vec![Vec::new(); fields.len()];
        }
        for (c, v) in cols.iter_mut().zip(fields) {
            c.push((!v.is_empty()).then_some(v));
        }
        lines.push(line);
        Ok(())
    })?;
    if cols.is_empty() {
        cols = vec![Vec::new(); names.len()];
    }
    Ok(Table { names, columns: cols, csv: true, lines })
}

/// Checks a ledger CSV's header (first row) before polars reads it: UTF-8, no NUL, no two
/// columns of the same name.
#[cfg(feature = "cost")]
pub fn check_header<R: Read>(name: &str, r: R) -> Result<Vec<String>> {
    let mut rd = reader(r);
    let mut rec = csv::ByteRecord::new();
    match rd.read_byte_record(&mut rec) {
        Ok(true) => {}
        Ok(false) => {
            return Err(Error::input(name, "the file is empty", "export the ledger again with a header and rows"))
        }
        Err(_) => return Err(Error::input(at(name, 1), "cannot be read as CSV", "export it again as UTF-8 CSV")),
    }
    let mut names = fields(name, 1, &rec, None)?;
    if let Some(first) = names.first_mut() {
        *first = first.trim_start_matches('\u{feff}').to_string();
    }
    check_names(name, &names)?;
    Ok(names)
}

/// Reads a whole CSV checking every row, for the first problem (the error) when another reader
/// failed; `Ok` when it finds none.
#[cfg(feature = "cost")]
pub fn diagnose<R: Read>(name: &str, r: R) -> Result<()> {
    scan(name, r, |_, _| Ok(())).map(|_| ())
}

#[cfg(test)]
mod tests;
