//! The formats read from text and from disk, each error naming file, place and fix.

use super::tabular::Table;
use super::*;
use crate::config::CostConfig;

fn read_tabular(name: &str, t: &Table) -> Result<Vec<BilledLine>> {
    read_export(name, &Export::Table(t.clone()))
}

fn read_json(name: &str, text: &str) -> Result<Vec<BilledLine>> {
    read_export(name, &Export::json(name, text)?)
}

#[test]
fn the_list_names_every_format_once() {
    assert_eq!(ExportFormat::list(), "invoice CSV, FOCUS CSV/Parquet, OpenAI costs JSON, Anthropic cost report JSON");
}

#[test]
fn detection_tells_every_format_apart() {
    let invoice = Table { names: vec!["provider".into(), "billing_period".into()], ..Table::default() };
    let focus = Table { names: vec!["BilledCost".into(), "ProviderName".into()], ..Table::default() };
    let detect = |e: Export| ExportFormat::detect("x", &e).unwrap();
    assert_eq!(detect(Export::Table(invoice)), ExportFormat::InvoiceCsv);
    assert_eq!(detect(Export::Table(focus)), ExportFormat::Focus);
    let json = |t: &str| Export::json("x", t).unwrap();
    assert_eq!(detect(json(r#"{"data":[{"start_time":1}]}"#)), ExportFormat::OpenAiCosts);
    assert_eq!(detect(json(r#"{"data":[{"starting_at":"2026-10-01"}]}"#)), ExportFormat::AnthropicCostReport);
    let e = ExportFormat::detect("x.json", &json(r#"{"data":[{"day":1}]}"#)).unwrap_err().to_string();
    assert!(e.starts_with("x.json, data[0]: the bucket has neither"), "{e}");
}

fn table(csv: &str) -> Table {
    let mut lines = csv.lines();
    let names: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    let mut columns = vec![Vec::new(); names.len()];
    for l in lines {
        for (i, v) in l.split(',').enumerate() {
            columns[i].push(Some(v.to_string()));
        }
    }
    Table { names, columns, csv: true, lines: Vec::new() }
}

#[test]
fn invoice_rows_become_lines() {
    let t = table(
        "provider,billing_period,billed_cost,currency,charge_category,line_item,period_status\n\
                   Pinecone Systems,2026-10,26.10,usd,usage,Serverless reads,final\n\
                   pinecone,2026-10-01,23.90,USD,minimum,Monthly minimum,open",
    );
    let l = read_tabular("inv.csv", &t).unwrap();
    assert_eq!(l.len(), 2);
    assert_eq!((l[0].micros, l[0].currency.as_str(), l[0].open), (26_100_000, "USD", false));
    assert_eq!((l[1].category.as_str(), l[1].period.as_str(), l[1].open), ("minimum", "2026-10", true));
    assert_eq!(l[1].location, "line 3");
}

#[test]
fn focus_accepts_either_provider_column_and_e_notation() {
    for provider_col in ["ProviderName", "ServiceProviderName"] {
        let t = table(&format!(
            "BilledCost,BillingPeriodStart,{provider_col},BillingCurrency,ChargeCategory,x_Custom\n\
             1.5E1,2026-11-01T00:00:00Z,OpenAI,USD,Usage,kept\n2,2026-11-01 00:00:00,OpenAI,USD,Tax,"
        ));
        let l = read_tabular("focus.csv", &t).unwrap();
        assert_eq!((l[0].micros, l[1].category.as_str()), (15_000_000, "tax"));
    }
}

#[test]
fn bad_values_name_file_line_and_column() {
    let cases = [
        (
            "provider,billing_period,billed_amount,currency\nopenai,2026-10,1,USD",
            "no column `billed_cost`",
            "billed_amount",
        ),
        (
            "provider,billing_period,billed_cost,currency\nopenai,2026-10,abc,USD",
            "line 2, column `billed_cost`",
            "not a number",
        ),
        (
            "provider,billing_period,billed_cost,currency\nopenai,2026-10,NaN,USD",
            "line 2, column `billed_cost`",
            "not a number",
        ),
        (
            "provider,billing_period,billed_cost,currency\nopenai,2026-10,-5,USD",
            "line 2, column `billed_cost`",
            "negative",
        ),
        (
            "provider,billing_period,billed_cost,currency\nopenai,Oct 2026,5,USD",
            "column `billing_period`",
            "not a billing period",
        ),
        ("provider,billing_period,billed_cost,currency\n,2026-10,5,USD", "column `provider`", "empty"),
        ("provider,billing_period,billed_cost,currency\nopenai,2026-10,5,$", "column `currency`", "ISO 4217"),
    ];
    for (csv, where_, what) in cases {
        let e = read_tabular("inv.csv", &table(csv)).unwrap_err().to_string();
        assert!(e.starts_with("inv.csv") && e.contains(where_) && e.contains(what) && e.contains("fix:"), "{e}");
    }
}

#[test]
fn openai_and_anthropic_json() {
    let openai = r#"{"object":"page","data":[{"object":"bucket","start_time":1793491200,"end_time":1793577600,
        "results":[{"object":"organization.costs.result","amount":{"value":0.06,"currency":"usd"},"line_item":null,"project_id":null}]}],
        "has_more":false}"#;
    let l = read_json("o.json", openai).unwrap();
    assert_eq!(
        (l[0].provider.as_str(), l[0].period.as_str(), l[0].micros, l[0].currency.as_str()),
        ("openai", "2026-11", 60_000, "USD")
    );
    assert!(l[0].open, "one day of November does not close the period");
    let anthropic = r#"{"data":[{"starting_at":"2026-10-31T00:00:00Z","ending_at":"2026-11-01T00:00:00Z",
        "results":[{"amount":"123.45","currency":"USD","cost_type":"tokens","description":"Claude Usage"}]}],"has_more":false}"#;
    let l = read_json("a.json", anthropic).unwrap();
    assert_eq!((l[0].micros, l[0].period.as_str(), l[0].open), (1_234_500, "2026-10", false));
    let e = read_json("a.json", r#"{"data":[{"starting_at":"2026-10-31T00:00:00Z","results":[{"amount":"12x"}]}]}"#)
        .unwrap_err();
    assert!(e.to_string().contains("data[0].results[0], field `amount`"), "{e}");
    assert!(read_json("a.json", r#"{"data":[]}"#).unwrap_err().to_string().contains("empty"));
    assert!(read_json("a.json", "[1,").unwrap_err().to_string().contains("not valid JSON"));
}

#[test]
fn files_on_disk_empty_and_header_only() {
    let dir = std::env::temp_dir().join(format!("bridge-billed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    assert!(read(&empty, &CostConfig::default()).unwrap_err().to_string().contains("empty"));
    let header = dir.join("header.csv");
    std::fs::write(&header, "provider,billing_period,billed_cost,currency\n").unwrap();
    assert!(read(&header, &CostConfig::default()).unwrap_err().to_string().contains("no rows"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(feature = "cost")]
#[test]
fn parquet_bills_read_with_polars() {
    use polars::prelude::*;
    let dir = std::env::temp_dir().join(format!("bridge-billed-pq-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut df = df!("BilledCost" => [10.5f64], "BillingPeriodStart" => ["2026-10-01T00:00:00Z"],
                     "ServiceProviderName" => ["Cohere"], "BillingCurrency" => ["USD"])
    .unwrap();
    let pq = dir.join("focus.parquet");
    ParquetWriter::new(std::fs::File::create(&pq).unwrap()).finish(&mut df).unwrap();
    let (l, unknown) = read(&pq, &CostConfig::default()).unwrap();
    assert_eq!((l[0].micros, l[0].location.as_str()), (10_500_000, "row 1"));
    assert_eq!(unknown[0].name, "Cohere");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn lines_carry_model_account_charge_class_and_invoice() {
    let t = table(
        "BilledCost,BillingPeriodStart,ProviderName,BillingCurrency,SkuId,SubAccountId,ChargeClass,InvoiceId\n\
         3,2026-11-01T00:00:00Z,OpenAI,USD,gpt-4o,proj_1,Correction,INV-7",
    );
    let l = &read_tabular("focus.csv", &t).unwrap()[0];
    assert_eq!(
        (l.model.as_str(), l.account.as_str(), l.charge_class.as_str(), l.invoice_id.as_str()),
        ("gpt-4o", "proj_1", "correction", "INV-7")
    );
    let openai = r#"{"data":[{"start_time":1793491200,"end_time":1793577600,
        "results":[{"amount":{"value":1,"currency":"usd"},"line_item":"gpt-4o-2024-08-06, input","project_id":"proj_a"}]}]}"#;
    let l = &read_json("o.json", openai).unwrap()[0];
    assert_eq!((l.model.as_str(), l.account.as_str()), ("gpt-4o-2024-08-06, input", "proj_a"));
    let anthropic = r#"{"data":[{"starting_at":"2026-10-31T00:00:00Z","ending_at":"2026-11-01T00:00:00Z",
        "results":[{"amount":"100","currency":"USD","model":"claude-sonnet-4","workspace_id":"wrkspc_1"}]}]}"#;
    let l = &read_json("a.json", anthropic).unwrap()[0];
    assert_eq!((l.model.as_str(), l.account.as_str()), ("claude-sonnet-4", "wrkspc_1"));
}
