//! RLS044 and RLS045: what `BRIDGE_PROBE_WRITES` kept the write probe from doing, and what the
//! probes it ran may have left behind (trigger effects a rollback does not undo).

use crate::checks::rls::probe::{Observations, WriteOutcome, WriteProbe};
use crate::config::{Config, ProbeWrites};
use crate::finding::{Finding, Rule, Status};
use crate::report::CheckId;
use serde_json::json;
use std::collections::BTreeMap;

/// A cross-tenant write path was not probed.
pub static WRITE_NOT_PROBED: Rule = Rule {
    check: CheckId::Rls,
    code: "RLS044",
    name: "write-probe-not-run",
    title: "a cross-tenant write path was not probed",
    checks: "The write attempts (RLS023, RLS040) that BRIDGE_PROBE_WRITES kept from running: with `safe` (the \
             default), every INSERT, UPDATE or DELETE that would fire a user trigger (row or statement), a rule, or \
             a cascading foreign key into a table with triggers, on the table, its partitions or its inheritance \
             children; with `off`, all of them.",
    why: "A write probe fires BEFORE ROW and statement triggers before the policy rejects the row, and a trigger's \
          `nextval`, NOTIFY-to-an-outside-queue or dblink call is not undone by the rollback, so the default \
          probe does not run it. A path not probed proves nothing, so it is reported, never passed.",
    remedy: "Run `BRIDGE_PROBE_WRITES=all bridge check --only rls` against a staging copy of the database (a \
             trigger's sequence draws and outside effects survive the rollback there), or test the named writes \
             by hand; keep `safe` for production.",
    limits: "Does not read trigger bodies: a trigger that only validates a row is skipped like one that writes a \
             log. Cascades are followed one level (the referencing table's own triggers).",
};

/// A write probe ran and may have fired triggers.
pub static WRITE_SIDE_EFFECTS: Rule = Rule {
    check: CheckId::Rls,
    code: "RLS045",
    name: "write-probe-side-effects",
    title: "a write probe ran statements that fire triggers, whose effects the rollback may not undo",
    checks: "With BRIDGE_PROBE_WRITES=all, the write attempts that ran although they fire a user trigger, a rule or \
             a cascade into a table with triggers, with the table's sequence-backed columns.",
    why: "The rows a trigger writes are rolled back with the probe, but a sequence it draws from is not (sequences \
          never roll back), nor is anything it does outside the database: the check may have left gaps in ids or \
          sent notifications.",
    remedy: "Use the default `BRIDGE_PROBE_WRITES=safe` on production; run `all` on a staging copy only.",
    limits: "Says what may have fired, not what did: a statement trigger fires even when no row qualifies, a row \
             trigger only for rows the statement reached. Trigger bodies are not read.",
};

/// The attempts per relation that match `keep`, in order.
fn by_relation(obs: &Observations, keep: impl Fn(&WriteProbe) -> bool) -> BTreeMap<&str, Vec<&WriteProbe>> {
    let mut out: BTreeMap<&str, Vec<&WriteProbe>> = BTreeMap::new();
    for w in obs.writes.iter().filter(|w| keep(w)) {
        out.entry(w.relation.as_str()).or_default().push(w);
    }
    out
}

fn touched(ws: &[&WriteProbe]) -> Vec<String> {
    let mut t: Vec<String> = ws.iter().flat_map(|w| w.touches.iter().cloned()).collect();
    t.sort();
    t.dedup();
    t
}

fn actions(ws: &[&WriteProbe]) -> String {
    ws.iter().map(|w| format!("`{}`", w.action)).collect::<Vec<_>>().join(", ")
}

/// RLS044: one finding when writes are off, else one per relation with skipped attempts.
pub fn not_probed(cfg: &Config, obs: &Observations) -> Vec<Finding> {
    let skipped = by_relation(obs, |w| matches!(w.outcome, WriteOutcome::Skipped { .. }));
    if skipped.is_empty() {
        return Vec::new();
    }
    if cfg.rls.probe_writes == ProbeWrites::Off {
        let names: Vec<&str> = skipped.keys().copied().collect();
        return vec![WRITE_NOT_PROBED
            .finding(
                Status::Warn,
                "off",
                format!(
                    "inconclusive: cross-tenant writes were not probed on {} tables ({}) because BRIDGE_PROBE_WRITES=off",
                    names.len(),
                    names.join(", ")
                ),
            )
            .with_evidence(json!({"setting": "BRIDGE_PROBE_WRITES=off", "relations": names}))
            .with_remedy("set BRIDGE_PROBE_WRITES=safe (the default) to probe the writes that fire no trigger")];
    }
    skipped
        .iter()
        .map(|(rel, ws)| {
            let fires = touched(ws);
            WRITE_NOT_PROBED
                .finding(
                    Status::Warn,
                    rel,
                    format!(
                        "inconclusive: {} on `{rel}` not probed: they would fire {} (BRIDGE_PROBE_WRITES=safe probes no write that fires a trigger, rule or cascade)",
                        actions(ws),
                        fires.join(", ")
                    ),
                )
                .with_evidence(json!({"relation": rel, "setting": "BRIDGE_PROBE_WRITES=safe", "actions": ws.iter().map(|w| &w.action).collect::<Vec<_>>(),
                                      "would_fire": fires, "sequences": ws[0].sequences}))
                .with_remedy(format!(
                    "run BRIDGE_PROBE_WRITES=all bridge check --only rls against a staging copy to probe {rel} (trigger effects such as sequence draws survive the rollback), or test these writes by hand"
                ))
        })
        .collect()
}

/// RLS045: one finding per relation where an attempt that fires triggers ran.
pub fn side_effects(obs: &Observations) -> Vec<Finding> {
    let ran = by_relation(obs, |w| !w.touches.is_empty() && !matches!(w.outcome, WriteOutcome::Skipped { .. }));
    ran.iter()
        .map(|(rel, ws)| {
            let fires = touched(ws);
            WRITE_SIDE_EFFECTS
                .finding(
                    Status::Warn,
                    rel,
                    format!(
                        "{} on `{rel}` ran with BRIDGE_PROBE_WRITES=all and may have fired {}: a sequence those draw from, or anything they do outside the database, was not rolled back",
                        actions(ws),
                        fires.join(", ")
                    ),
                )
                .with_evidence(json!({"relation": rel, "setting": "BRIDGE_PROBE_WRITES=all", "may_have_fired": fires, "sequences": ws[0].sequences}))
                .with_remedy("run BRIDGE_PROBE_WRITES=all on a staging copy only; keep the default (safe) on production")
        })
        .collect()
}

#[cfg(test)]
fn with_trigger(outcome: WriteOutcome) -> Observations {
    let mut obs = super::fixtures::observations();
    for w in &mut obs.writes {
        w.outcome = outcome.clone();
        w.touches = vec!["trigger audit on public.docs".into()];
    }
    obs
}

#[cfg(test)]
pub(super) fn triggers() -> Vec<Finding> {
    let cfg = super::fixtures::cfg();
    let skipped = with_trigger(WriteOutcome::Skipped { why: "BRIDGE_PROBE_WRITES=safe".into() });
    let ran = with_trigger(WriteOutcome::Denied { how: "42501".into() });
    let mut out = not_probed(&cfg, &skipped);
    out.extend(side_effects(&ran));
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{self, problems};
    use super::*;

    #[test]
    fn rls044_write_probe_not_run_fires() {
        let f = triggers();
        assert_eq!(problems(&f, "RLS044"), ["RLS044:public.docs"]);
        assert!(f[0].detail.contains("would fire trigger audit on public.docs"), "{}", f[0].detail);
        assert!(f[0].detail.contains("BRIDGE_PROBE_WRITES=safe"), "{}", f[0].detail);
        let mut off = fixtures::cfg();
        off.rls.probe_writes = ProbeWrites::Off;
        let skipped = with_trigger(WriteOutcome::Skipped { why: "BRIDGE_PROBE_WRITES=off".into() });
        let f = not_probed(&off, &skipped);
        assert_eq!(problems(&f, "RLS044"), ["RLS044:off"]);
    }

    #[test]
    fn rls044_write_probe_not_run_quiet() {
        assert!(not_probed(&fixtures::cfg(), &fixtures::observations()).is_empty());
    }

    #[test]
    fn rls045_write_probe_side_effects_fires() {
        let f = triggers();
        assert_eq!(problems(&f, "RLS045"), ["RLS045:public.docs"]);
        assert!(f[1].detail.contains("may have fired trigger audit on public.docs"), "{}", f[1].detail);
    }

    #[test]
    fn rls045_write_probe_side_effects_quiet() {
        assert!(side_effects(&fixtures::observations()).is_empty(), "no trigger, nothing left behind");
        let skipped = with_trigger(WriteOutcome::Skipped { why: "safe".into() });
        assert!(side_effects(&skipped).is_empty(), "skipped attempts fired nothing");
    }
}
