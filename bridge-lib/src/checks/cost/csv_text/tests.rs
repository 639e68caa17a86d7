use super::*;

#[test]
fn a_plain_csv_reads_into_a_table() {
    let t = read_table("b.csv", b"\xef\xbb\xbfa,b\n1,\"x, y\"\n2,z\n").unwrap();
    assert_eq!(t.names, ["a", "b"], "the byte order mark is skipped");
    assert_eq!(t.columns[1], [Some("x, y".to_string()), Some("z".to_string())]);
    assert_eq!(t.lines, [2, 3]);
}

#[test]
fn malformed_bills_are_one_line_naming_file_line_and_column() {
    let header = "provider,billing_period,billed_cost,currency";
    for (file, body, words) in corpus::malformed(header, "openai,2026-10,5,USD") {
        let e = read_table(file, &body).unwrap_err().to_string();
        corpus::assert_one_line(file, &e, words);
    }
    let e = read_table("nul.csv", b"a,b\n1,2\0\n").unwrap_err().to_string();
    assert!(e.starts_with("nul.csv, line 2, column `b`: a NUL byte"), "{e}");
}

#[test]
fn two_columns_of_one_name_are_an_error_naming_both() {
    for (header, a, b) in [("cost,cost", "cost", "cost"), ("Billed Cost,billed_cost", "Billed Cost", "billed_cost")] {
        let e = read_table("dup.csv", format!("{header}\n1,2\n").as_bytes()).unwrap_err().to_string();
        assert!(e.contains(&format!("`{a}` and `{b}`")) && e.contains("same column"), "{e}");
    }
}

#[test]
fn values_quoted_in_errors_are_clipped_and_escaped() {
    assert_eq!(clip("a\nb"), "a\\nb");
    assert_eq!(clip(&"x".repeat(100)).chars().count(), 41);
}
