use super::*;

#[test]
fn kinds_look_through_gz() {
    assert_eq!(kind(Path::new("a/bill.CSV.gz")), "csv.gz");
    assert_eq!(kind(Path::new("bill.csv")), "csv");
    assert_eq!(kind(Path::new("bill.zip")), "zip");
    assert_eq!(kind(Path::new("bill.json.gz")), "gz");
}

/// A test file in a folder of its own, both removed when the test is done with it.
struct TmpFile(std::path::PathBuf);

impl std::ops::Deref for TmpFile {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TmpFile {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn tmp(name: &str, bytes: &[u8]) -> TmpFile {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("bridge-cost-files-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    TmpFile(p)
}

#[test]
fn gz_and_zip_read_as_their_csvs() {
    let csv = b"a,b\n1,2\n";
    let gz = tmp("bill.csv.gz", &testdata::gz(csv));
    let m = read_csvs(&gz, 1024, "the export").unwrap();
    assert_eq!((m.len(), m[0].bytes.as_slice()), (1, &csv[..]));
    let zip = tmp("bill.zip", &testdata::zip(&[("a.csv", csv), ("README.txt", b"x"), ("dir/b.CSV", b"c\n3\n")]));
    let m = read_csvs(&zip, 1024, "the export").unwrap();
    let names: Vec<&str> = m.iter().map(|m| m.name.as_str()).collect();
    assert!(names[0].ends_with("bill.zip!a.csv") && names[1].ends_with("bill.zip!dir/b.CSV"), "{names:?}");
    assert_eq!(m[1].bytes, b"c\n3\n");
}

#[test]
fn compressed_exports_are_bounded_and_bad_archives_are_errors() {
    // a bomb: 64 MiB of zeros compresses to ~64 KiB; the cap stops it at 1 MiB
    let zeros = vec![b'0'; 64 * 1024 * 1024];
    let cap = crate::files::MIB;
    for (name, bytes) in [("bomb.csv.gz", testdata::gz(&zeros)), ("bomb.zip", testdata::zip(&[("z.csv", &zeros)]))] {
        let e = read_csvs(&tmp(name, &bytes), cap, "the export").unwrap_err().to_string();
        assert!(e.contains(name) && e.contains("more than 1 MiB") && e.len() < 300, "{e}");
    }
    let cases: [(&str, Vec<u8>, &str); 3] = [
        ("bad.csv.gz", b"not gzip".to_vec(), "cannot decompress"),
        ("bad.zip", b"not a zip".to_vec(), "no central directory"),
        ("nocsv.zip", testdata::zip(&[("a.txt", b"x")]), "no .csv file"),
    ];
    for (name, bytes, want) in cases {
        let e = read_csvs(&tmp(name, &bytes), cap, "the export").unwrap_err().to_string();
        assert!(e.contains(name) && e.contains(want), "{e}");
    }
}
