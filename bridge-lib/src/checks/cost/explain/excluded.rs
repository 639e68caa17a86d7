//! The excluded component: billed lines no tenant consumed (tax, minimums, credits,
//! corrections), which the variance already leaves out of the billed usage. It is always
//! computable: it is what the reconciliation set apart for the provider and period.

use super::super::model::BilledLine;
use crate::report::data::{GapComponent, GapItem, GapKind};

/// A correction (FOCUS `ChargeClass`) by that name, any other line by its category.
fn kind(l: &BilledLine) -> &str {
    if l.charge_class == "correction" {
        "correction"
    } else {
        &l.category
    }
}

/// The excluded lines of one provider and period (already filtered to it) and their sum.
pub fn excluded(total: i64, lines: &[&BilledLine]) -> GapComponent {
    let mut items: Vec<GapItem> = lines
        .iter()
        .map(|l| GapItem {
            label: format!("{}, {}", l.source, l.location),
            micros: l.micros,
            detail: format!("{}: {}", kind(l), l.description),
        })
        .collect();
    items.sort_by_key(|i| std::cmp::Reverse(i.micros.abs()));
    let detail = if lines.is_empty() {
        "no tax, minimum, credit or correction lines billed".to_string()
    } else {
        let mut cats: Vec<&str> = lines.iter().map(|l| kind(l)).collect();
        cats.sort_unstable();
        cats.dedup();
        format!("{} billed line(s) no tenant consumed ({}), left out of the variance", lines.len(), cats.join(", "))
    };
    GapComponent { kind: GapKind::Excluded, micros: total, computed: true, detail, items }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::cost::model::fixtures::line;

    #[test]
    fn excluded_fires() {
        let (tax, min) = (line("pinecone", "2026-10", 4, "tax", 3), line("pinecone", "2026-10", 46, "minimum", 2));
        let c = excluded(50_000_000, &[&tax, &min]);
        assert_eq!(c.micros, 50_000_000);
        assert!(c.computed && c.detail.contains("minimum, tax"), "{}", c.detail);
        assert_eq!(c.items[0].micros, 46_000_000, "largest first");
    }

    #[test]
    fn corrections_are_named_as_such() {
        let mut fix = line("openai", "2026-10", -3, "usage", 4);
        fix.charge_class = "correction".into();
        let c = excluded(-3_000_000, &[&fix]);
        assert!(c.detail.contains("(correction)") && c.items[0].detail.starts_with("correction:"), "{c:?}");
    }

    #[test]
    fn excluded_quiet() {
        let c = excluded(0, &[]);
        assert_eq!(c.micros, 0);
        assert!(c.computed && c.items.is_empty() && c.detail.starts_with("no tax"));
    }
}
