use super::*;

#[test]
fn a_plain_csv_reads_into_a_table() {
    let t = read_table("b.csv", b"\xef\xbb\xbfa,b\n1,\"x, y\"\n2,z\n").unwrap();
    assert_eq!(t.names, ["a", "b"], "the byte order mark is skipped");
    assert_eq!(t.columns[1], [Some("x, y".to_string()), Some("z".to_string())]);
    assert_eq!(t.lines, [2, 3]);
}
