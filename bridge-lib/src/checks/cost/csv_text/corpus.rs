//! Malformed CSV files for the tests of every reader (bills, ledgers): each with the words its
//! one-line error must contain. Every file carries `SECRET` past the fault, which no error may
//! quote.

/// `(file name, body, words the error contains)`; `header` is the file's first line.
pub fn malformed(header: &str, good_row: &str) -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let h = format!("{header}\n");
    let secret = format!("{good_row}\nSECRET-tenant,SECRET,SECRET,2026-10-01T00:00:00Z,99\n");
    let n = header.split(',').count();
    let mut ragged: Vec<String> = good_row.split(',').map(String::from).collect();
    *ragged.last_mut().unwrap() = "0,5".into();
    let mut huge = h.clone().into_bytes();
    huge.extend(vec![b'x'; 2 * 1024 * 1024]);
    huge.extend(format!(",a\n{secret}").bytes());
    let mut garbage = h.clone().into_bytes();
    garbage.extend((0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 | 0x80));
    garbage.extend(secret.bytes());
    let _ = n;
    vec![
        ("quote.csv", format!("{h}{good_row}\n\"{good_row}\n{secret}").into_bytes(), "never closed"),
        ("ragged.csv", format!("{h}{good_row}\n{}\n{secret}", ragged.join(",")).into_bytes(), "line 3"),
        ("nul.csv", format!("{h}{good_row}\0\n{secret}").into_bytes(), "NUL"),
        ("utf16.csv", header.encode_utf16().flat_map(u16::to_le_bytes).chain(secret.bytes()).collect(), "line"),
        ("empty.csv", Vec::new(), "empty"),
        ("header.csv", h.clone().into_bytes(), "no rows"),
        ("garbage.csv", garbage, "line 2"),
        ("huge.csv", huge, "line 2"),
    ]
}

/// The promise each error keeps: one line, short, naming the file, never the contents.
pub fn assert_one_line(file: &str, e: &str, words: &str) {
    assert!(e.contains(file), "{file}: names the file: {e}");
    assert!(e.contains(words), "{file}: says `{words}`: {e}");
    assert!(e.len() <= 400 && !e.contains('\n'), "{file}: one short line ({} chars): {e}", e.len());
    assert!(!e.contains("SECRET"), "{file}: quotes the file: {e}");
}
