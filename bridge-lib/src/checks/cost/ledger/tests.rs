use super::*;

fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p
}

const HEADER: &str = "tenant_id,provider,model,occurred_at,cost_usd\n";

#[test]
fn csv_and_parquet_ledgers_aggregate_exactly() {
    let dir = std::env::temp_dir().join(format!("bridge-ledger-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = write(
        &dir,
        "l.csv",
        &format!("{HEADER}acme,OpenAI,gpt,2026-10-01T00:00:00Z,0.1\nacme,openai,gpt,2026-10-31T23:59:59Z,0.2\nbeta,anthropic,c,2026-11-02T00:00:00Z,1\n"),
    );
    let mut pq = df!("tenant_id" => ["acme"], "provider" => ["openai"], "model" => ["gpt"],
                     "occurred_at" => ["2026-10-05T00:00:00Z"], "cost_usd" => [0.7f64])
    .unwrap();
    let pq_path = dir.join("l.parquet");
    ParquetWriter::new(std::fs::File::create(&pq_path).unwrap()).finish(&mut pq).unwrap();
    let (rows, unknown) = aggregate_files(&[csv, pq_path], &CostConfig::default()).unwrap();
    assert!(unknown.is_empty());
    let acme = rows.iter().find(|r| r.tenant == "acme").unwrap();
    assert_eq!(
        (acme.provider.as_str(), acme.period.as_str(), acme.micros, acme.events),
        ("openai", "2026-10", 1_000_000, 3)
    );
    assert_eq!(rows.len(), 2);
    let frame = breakdown_frame(&rows).unwrap();
    assert_eq!(frame.shape(), (2, 6));

    // timestamps and dates: the month of each instant, the last microsecond of October
    // included
    let oct_end = crate::civil::days_from_civil(2026, 11, 1) * 86_400_000_000 - 1;
    let times = Series::new("occurred_at".into(), [oct_end, oct_end + 1])
        .cast(&DataType::Datetime(TimeUnit::Microseconds, None))
        .unwrap();
    let days = Series::new("occurred_at".into(), [crate::civil::days_from_civil(2026, 10, 31) as i32])
        .cast(&DataType::Date)
        .unwrap();
    for (name, time) in [("ts.parquet", times), ("date.parquet", days)] {
        let n = time.len();
        let mut pq = DataFrame::new_infer_height(vec![
            Series::new("tenant_id".into(), vec!["acme"; n]).into(),
            Series::new("provider".into(), vec!["openai"; n]).into(),
            Series::new("model".into(), vec!["gpt"; n]).into(),
            time.into(),
            Series::new("cost_usd".into(), vec![1.0f64; n]).into(),
        ])
        .unwrap();
        let path = dir.join(name);
        ParquetWriter::new(std::fs::File::create(&path).unwrap()).finish(&mut pq).unwrap();
        let (rows, _) = aggregate_files(&[path], &CostConfig::default()).unwrap();
        let months: Vec<&str> = rows.iter().map(|r| r.period.as_str()).collect();
        let want: &[&str] = if n == 2 { &["2026-10", "2026-11"] } else { &["2026-10"] };
        assert_eq!(months, want, "{name}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_month_expression_agrees_with_the_civil_calendar() {
    let days: Vec<i64> = (-719_468..3_000_000).step_by(7).chain(-3..3).collect();
    let df = DataFrame::new_infer_height(vec![Series::new("t".into(), &days)
        .cast(&DataType::Int32)
        .unwrap()
        .cast(&DataType::Date)
        .unwrap()
        .into()])
    .unwrap();
    let out = with_period(df.lazy(), "t", false).select([col(PERIOD)]).collect().unwrap();
    let got = out.column(PERIOD).unwrap().as_materialized_series().i64().unwrap().to_vec();
    for (d, m) in days.iter().zip(got) {
        let (y, mo, _) = crate::civil::civil_from_days(*d);
        assert_eq!(m, Some(y * 100 + i64::from(mo)), "day {d}");
    }
}

#[test]
fn bad_ledgers_name_file_line_and_column() {
    let dir = std::env::temp_dir().join(format!("bridge-ledger-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let c = CostConfig::default();
    let cases = [
        ("empty.csv", String::new(), "the file is empty"),
        ("header.csv", HEADER.to_string(), "no rows"),
        (
            "misnamed.csv",
            "tenant,provider,model,occurred_at,cost_usd\na,openai,m,2026-10-01,1\n".into(),
            "no column `tenant_id`",
        ),
        (
            "type.csv",
            format!("{HEADER}a,openai,m,2026-10-01,1\na,openai,m,2026-10-01,abc\n"),
            "line 3, column `cost_usd`",
        ),
        (
            "negative.csv",
            format!("{HEADER}a,openai,m,2026-10-01,1\na,openai,m,2026-10-01,-2\n"),
            "line 3, column `cost_usd`: negative",
        ),
        ("nan.csv", format!("{HEADER}a,openai,m,2026-10-01,NaN\n"), "line 2, column `cost_usd`: negative or NaN"),
        ("nullcost.csv", format!("{HEADER}a,openai,m,2026-10-01,\n"), "empty cost"),
        ("time.csv", format!("{HEADER}a,openai,m,yesterday,1\n"), "line 2, column `occurred_at`"),
    ];
    for (name, body, want) in cases {
        let p = write(&dir, name, &body);
        let e = aggregate_files(&[p], &c).unwrap_err().to_string();
        assert!(e.contains(name) && e.contains(want) && e.contains("fix:"), "{name}: {e}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

fn months_of(rows: &[AllocatedRow]) -> Vec<(String, i64)> {
    rows.iter().map(|r| (r.period.clone(), r.micros)).collect()
}

#[test]
fn utc_offsets_move_rows_into_their_utc_month() {
    let dir = std::env::temp_dir().join(format!("bridge-ledger-tz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // (time, dollars): dollars say which UTC month each row belongs to
    let rows = [
        ("2025-09-01T03:00:00+05:30", 1),  // Aug 31 21:30 UTC
        ("2025-09-01 03:00:00+05", 1),     // PostgreSQL's text, Aug 31 22:00 UTC
        ("2025-08-31T22:00:00-05:00", 10), // Sep 1 03:00 UTC
        ("2025-08-31T22:00:00.25-0500", 10),
        ("2025-08-30T22:00:00-05:00", 1),  // Aug 31 UTC
        ("2025-09-15T03:00:00+05:30", 10), // mid-month: no change
        ("2025-09-30T23:30:00+00:00", 10), // UTC spelled out
        ("2025-09-01T00:00:00Z", 10),
        ("2024-02-28T23:00:00-02:00", 100),    // leap year: Feb 29 UTC, still February
        ("2025-02-28T23:00:00-02:00", 1000),   // Mar 1 UTC
        ("2025-12-31T23:30:00-01:00", 10_000), // Jan 1 2026 UTC
    ];
    let body: String = rows.iter().map(|(t, d)| format!("a,openai,m,{t},{d}\n")).collect();
    let p = write(&dir, "tz.csv", &format!("{HEADER}{body}"));
    let (got, _) = aggregate_files(&[p], &CostConfig::default()).unwrap();
    let want = [("2024-02", 100), ("2025-03", 1000), ("2025-08", 3), ("2025-09", 50), ("2026-01", 10_000)];
    let want: Vec<(String, i64)> = want.iter().map(|(m, d)| ((*m).to_string(), d * 1_000_000)).collect();
    assert_eq!(months_of(&got), want);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn per_request_costs_sum_exactly_and_round_once() {
    let dir = std::env::temp_dir().join(format!("bridge-ledger-exact-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // 0.0000015 rounded per row to micro-units is 2 each: 2000 micro-units for 1000 rows, a
    // third too high; summed exactly it is 1500
    let body: String = (0..1000).map(|i| format!("a,openai,m,2026-10-01T00:00:{:02}Z,0.00000150\n", i % 60)).collect();
    let p = write(&dir, "exact.csv", &format!("{HEADER}{body}a,openai,m,2026-10-02T00:00:00Z,0.12345678\n"));
    let (got, _) = aggregate_files(&[p], &CostConfig::default()).unwrap();
    assert_eq!(got[0].micros, 1500 + 123_457, "exact sum 0.12495678, rounded once");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn compressed_ledgers_read_directly() {
    use crate::checks::cost::files::testdata;
    let dir = std::env::temp_dir().join(format!("bridge-ledger-gz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = format!("{HEADER}a,openai,m,2026-10-01T00:00:00Z,1\n");
    let gz = dir.join("l.csv.gz");
    std::fs::write(&gz, testdata::gz(csv.as_bytes())).unwrap();
    let zip = dir.join("l.zip");
    std::fs::write(&zip, testdata::zip(&[("a.csv", csv.as_bytes()), ("b.csv", csv.as_bytes())])).unwrap();
    let (got, _) = aggregate_files(&[gz, zip.clone()], &CostConfig::default()).unwrap();
    assert_eq!((got.len(), got[0].micros, got[0].events), (1, 3_000_000, 3));
    let bad = dir.join("bad.zip");
    std::fs::write(&bad, testdata::zip(&[("a.csv", format!("{HEADER}a,openai,m,2026-10-01,x\n").as_bytes())])).unwrap();
    let e = aggregate_files(&[bad], &CostConfig::default()).unwrap_err().to_string();
    assert!(e.contains("bad.zip!a.csv, line 2, column `cost_usd`"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn malformed_ledgers_are_one_line_never_a_panic() {
    use crate::checks::cost::csv_text::corpus;
    let dir = std::env::temp_dir().join(format!("bridge-ledger-corpus-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let header = HEADER.trim_end();
    for (file, body, words) in corpus::malformed(header, "a,openai,m,2026-10-01T00:00:00Z,1") {
        let p = dir.join(file);
        std::fs::write(&p, body).unwrap();
        let e = aggregate_files(&[p], &CostConfig::default()).unwrap_err().to_string();
        corpus::assert_one_line(file, &e, words);
    }
    let bom = write(&dir, "bom.csv", &format!("\u{feff}{HEADER}a,openai,m,2026-10-01T00:00:00Z,1\n"));
    let r = aggregate_files(&[bom], &CostConfig::default());
    assert!(r.is_ok(), "a byte order mark is fine: {r:?}");
    let dup =
        write(&dir, "dup.csv", "tenant_id,provider,model,occurred_at,cost_usd,Cost USD\na,openai,m,2026-10-01,1,2\n");
    let e = aggregate_files(&[dup], &CostConfig::default()).unwrap_err().to_string();
    assert!(e.contains("`cost_usd` and `Cost USD`"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}
