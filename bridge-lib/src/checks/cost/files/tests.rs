use super::*;

#[test]
fn kinds_look_through_gz() {
    assert_eq!(kind(Path::new("a/bill.CSV.gz")), "csv.gz");
    assert_eq!(kind(Path::new("bill.csv")), "csv");
    assert_eq!(kind(Path::new("bill.zip")), "zip");
    assert_eq!(kind(Path::new("bill.json.gz")), "gz");
}
