//! RLS050: `--prove` planted a flaw the live probe did not catch (a blind spot of the probe).

use crate::checks::rls::prove::Mutant;
use crate::finding::{Finding, Rule, Status};
use crate::report::CheckId;
use serde_json::json;

/// The live probe missed a planted flaw.
pub static PROBE_BLIND_SPOT: Rule = Rule {
    check: CheckId::Rls,
    code: "RLS050",
    name: "probe-blind-spot",
    title: "the live probe did not catch a flaw planted by --prove",
    checks: "With `bridge check --prove`: inside one transaction that is rolled back, on each tenant table the \
             application reads, a permissive `USING (true)` policy for the application role, RLS disabled, and FORCE \
             off where the application can own the table, one at a time under a savepoint; then the live probe's \
             reads and writes on that table as the application role. Also the context set with a session-level \
             `set_config(…, false)`, then the probe's context-after-commit step. Passes when every planted mutant \
             made a live rule fail.",
    why: "A pass is only as good as the probe behind it: a table whose rows belong to one tenant, or that is empty, \
          shows no other tenant's rows even when its policy is `USING (true)`, so today's pass there proves nothing \
          about tomorrow's data.",
    remedy: "Give the blind spot data the probe can use: rows of at least two probe tenants in the table \
             (`bridge tenants provision --seed-sql FILE`), or BRIDGE_PROBE_TENANTS naming tenants that have rows \
             there; for a write-only gap, an own row to copy so the insert and move attempts run.",
    limits: "Proves the probe on the mutants above only, one table at a time (views and definer functions over the \
             table are not re-probed). DDL inside the transaction takes ACCESS EXCLUSIVE locks: run it on staging. \
             A mutant whose DDL fails (no ownership, a lock not granted within 2 s) is listed as not planted, \
             not as a blind spot.",
};

/// RLS050 warns for each planted mutant the probe missed, and passes when it caught them all.
pub fn blind_spots(mutants: &[Mutant]) -> Vec<Finding> {
    let planted: Vec<&Mutant> = mutants.iter().filter(|m| m.planted()).collect();
    let mut out: Vec<Finding> = planted
        .iter()
        .filter(|m| !m.caught)
        .map(|m| {
            PROBE_BLIND_SPOT
                .finding(
                    Status::Warn,
                    &format!("{}/{}", m.relation, m.mutant),
                    format!(
                        "expected the live probe to catch mutant `{}` on `{}`, found no failing finding there: the probe \
                         cannot see a flaw of this kind on it",
                        m.mutant, m.relation
                    ),
                )
                .with_evidence(json!(m))
                .with_remedy(if m.mutant == "session-set" {
                    "check that the tenants table has a probe tenant and the application role can read a tenant table"
                        .to_string()
                } else {
                    format!("put rows of at least two probe tenants in {} (or set BRIDGE_PROBE_TENANTS to tenants with rows there)", m.relation)
                })
        })
        .collect();
    if out.is_empty() && !planted.is_empty() {
        let skipped = mutants.len() - planted.len();
        let note = if skipped > 0 { format!("; {skipped} not planted (see the outcome data)") } else { String::new() };
        out.push(PROBE_BLIND_SPOT.finding(
            Status::Pass,
            "",
            format!("the live probe caught all {} planted mutants{note}", planted.len()),
        ));
    }
    out
}

#[cfg(test)]
fn mutant(name: &str, caught: bool, note: Option<&str>) -> Mutant {
    Mutant { mutant: name.into(), relation: super::fixtures::DOCS.into(), caught, note: note.map(str::to_string) }
}

#[cfg(test)]
pub(super) fn triggers() -> Vec<Finding> {
    blind_spots(&[mutant("permissive-using-true", false, None), mutant("rls-disabled", true, None)])
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::problems;
    use super::*;

    #[test]
    fn rls050_probe_blind_spot_fires() {
        let f = triggers();
        assert_eq!(problems(&f, "RLS050"), ["RLS050:public.docs/permissive-using-true"]);
        assert_eq!(f[0].status, Status::Warn);
        assert!(f[0]
            .detail
            .starts_with("expected the live probe to catch mutant `permissive-using-true` on `public.docs`"));
    }

    #[test]
    fn rls050_probe_blind_spot_quiet() {
        let f = blind_spots(&[mutant("rls-disabled", true, None), mutant("force-off", false, Some("not planted: x"))]);
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].status, f[0].detail.as_str()),
            (Status::Pass, "the live probe caught all 1 planted mutants; 1 not planted (see the outcome data)")
        );
        assert!(blind_spots(&[]).is_empty());
    }
}
