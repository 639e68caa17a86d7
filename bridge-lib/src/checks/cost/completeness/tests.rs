use super::*;
use crate::civil::days_from_civil;

fn page(source: &str, from: (u32, u32), days: i64, more: bool) -> Page {
    let start = days_from_civil(2026, from.0, from.1);
    Page {
        provider: "openai".into(),
        source: source.into(),
        days: (0..days).map(|d| (start + d, start + d + 1)).collect(),
        more,
    }
}

fn oct(d: u32) -> i64 {
    days_from_civil(2026, 10, d)
}

#[test]
fn a_month_in_weekly_pages_is_final_once_every_day_is_there() {
    // October as five pages of 7 days (the APIs' default), the last one short
    let pages: Vec<Page> =
        (0..5).map(|i| page(&format!("p{i}.json"), (10, 1 + 7 * i), if i == 4 { 3 } else { 7 }, i < 4)).collect();
    assert!(judge(&pages, oct(31) + 30).unwrap().is_empty(), "every day covered: final");
    // one page alone ends before the month does: while October may still be billed, open
    let one = [page("p0.json", (10, 1), 1, false)];
    assert_eq!(judge(&one, oct(2)).unwrap().into_iter().collect::<Vec<_>>(), [("openai".into(), "2026-10".into())]);
}

#[test]
fn a_gap_in_the_days_is_a_missing_page() {
    let pages = [page("p0.json", (10, 1), 7, true), page("p2.json", (10, 15), 17, false)];
    let e = judge(&pages, oct(31) + 30).unwrap_err().to_string();
    assert!(
        e.starts_with(
            "p0.json, p2.json: the openai cost pages cover no day from 2026-10-08 to 2026-10-14: a page is missing"
        ),
        "{e}"
    );
}

#[test]
fn the_last_page_saying_has_more_and_a_page_saved_twice_are_errors() {
    let e = judge(&[page("p0.json", (10, 1), 7, true)], oct(8)).unwrap_err().to_string();
    assert!(e.contains("p0.json") && e.contains("last page (up to 2026-10-07) says `has_more`"), "{e}");
    let twice = [page("a.json", (10, 1), 31, false), page("b.json", (10, 1), 31, false)];
    let e = judge(&twice, oct(31) + 30).unwrap_err().to_string();
    assert!(e.contains("a.json, b.json") && e.contains("saved twice"), "{e}");
}

#[test]
fn pages_that_stop_early_in_a_month_long_over_are_an_error_not_open() {
    let pages = [page("p0.json", (10, 1), 20, false)];
    assert_eq!(judge(&pages, oct(31) + GRACE_DAYS).unwrap().len(), 1, "within the grace days: open");
    let e = judge(&pages, oct(31) + 1 + GRACE_DAYS).unwrap_err().to_string();
    assert!(
        e.contains("stop at 2026-10-20 though 2026-10 has ended") && e.contains("through the end of 2026-10"),
        "{e}"
    );
}

#[test]
fn providers_are_judged_apart() {
    let mut anthropic = page("a.json", (10, 1), 31, false);
    anthropic.provider = "anthropic".into();
    let pages = [page("o.json", (10, 1), 5, false), anthropic];
    let open = judge(&pages, oct(6)).unwrap();
    assert_eq!(open.into_iter().collect::<Vec<_>>(), [("openai".into(), "2026-10".into())]);
}

#[test]
fn a_month_in_weekly_pages_with_a_quarter_unallocated_fails() {
    use crate::checks::cost::model::fixtures::{alloc, line};
    use crate::checks::cost::model::Gathered;
    use crate::checks::cost::{evaluate, reconcile};
    use crate::config::CostConfig;
    // the case: October in weekly pages, 75% allocated; judged page by page every
    // page but the last ended before month end and the month came back open (warn)
    let pages: Vec<Page> =
        (0..5).map(|i| page(&format!("p{i}.json"), (10, 1 + 7 * i), if i == 4 { 3 } else { 7 }, i < 4)).collect();
    let open = judge(&pages, oct(31) + 30).unwrap();
    let mut lines: Vec<_> = (0..5).map(|i| line("openai", "2026-10", 20, "usage", i)).collect();
    for (i, l) in lines.iter_mut().enumerate() {
        l.identity = format!("{i}");
        l.open = open.contains(&(l.provider.clone(), l.period.clone()));
    }
    let g = Gathered { billed: lines, allocated: vec![alloc("openai", "2026-10", 75)], ..Gathered::default() };
    let fs = evaluate(&reconcile(&g, &CostConfig::default()));
    let f = fs.iter().find(|f| f.code == "COST001").unwrap();
    assert_eq!(f.status, crate::finding::Status::Fail, "{}", f.detail);
}
