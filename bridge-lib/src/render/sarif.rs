//! SARIF 2.1.0 for GitHub code scanning (and any SARIF viewer).
//!
//! - One result per warning or failure (suppressed ones carry an accepted `suppressions`
//!   entry; with a baseline, `baselineState` says `new` or `unchanged`). Skips and checks that
//!   could not run are tool notifications, not results.
//! - Every result has `locations[0].physicalLocation.artifactLocation.uri` (GitHub rejects the
//!   whole file otherwise): the migration that last touched the finding's object, else the
//!   fallback of [`Locator::fallback`]; the object itself is the logical location.
//! - Rules carry their documentation (`checks`, `why`, `remedy`, `limits` of [`Rule`]) as help.
//! - `partialFingerprints["bridgeFindingKey/v1"]` is the finding's key, stable run to run.

use super::locate::Locator;
use crate::finding::{Finding, Rule, Status};
use crate::report::{CheckStatus, Report};
use serde_json::{json, Value};

/// The official schema's address, written as `$schema`.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn rule_json(r: &Rule) -> Value {
    let text = format!(
        "{}\n\nWhat it checks: {}\n\nWhy it matters: {}\n\nRemedy: {}\n\nKnown limits: {}",
        r.title, r.checks, r.why, r.remedy, r.limits
    );
    let markdown = format!(
        "**{}** `{}`\n\n### What it checks\n{}\n\n### Why it matters\n{}\n\n### Remedy\n{}\n\n### Known limits\n{}\n\n\
         Run `bridge explain {}` for the same text.",
        r.title, r.name, r.checks, r.why, r.remedy, r.limits, r.code
    );
    let mut tags = vec!["bridge".to_string(), r.check.as_str().to_string()];
    if r.check == crate::CheckId::Rls {
        tags.push("security".into());
    }
    json!({
        "id": r.code,
        "name": r.name,
        "shortDescription": { "text": r.title },
        "fullDescription": { "text": if r.checks.is_empty() { r.title } else { r.checks } },
        "help": { "text": text, "markdown": markdown },
        "defaultConfiguration": { "level": "warning" },
        "properties": { "tags": tags },
    })
}

fn result_json(f: &Finding, rule_index: usize, locator: &Locator, baseline_used: bool) -> Value {
    let loc = locator.locate(f);
    let mut artifact = json!({ "uri": loc.uri });
    if !loc.uri.starts_with("file:") {
        artifact["uriBaseId"] = json!("%SRCROOT%");
    }
    let mut physical = json!({ "artifactLocation": artifact });
    if let Some(line) = loc.line {
        physical["region"] = json!({ "startLine": line });
    }
    let mut location = json!({ "physicalLocation": physical });
    if let Some((_, object)) = f.key.split_once(':').filter(|(_, o)| !o.is_empty()) {
        location["logicalLocations"] = json!([{ "fullyQualifiedName": object }]);
    }
    let mut text = f.detail.clone();
    if let Some(r) = &f.remedy {
        text.push_str("\n\nFix:\n");
        text.push_str(r);
    }
    let mut result = json!({
        "ruleId": f.code,
        "ruleIndex": rule_index,
        "level": if f.status == Status::Fail { "error" } else { "warning" },
        "message": { "text": text },
        "locations": [location],
        "partialFingerprints": { "bridgeFindingKey/v1": f.key },
        "properties": { "status": f.status.as_str(), "key": f.key },
    });
    let baselined = f.suppressed.as_deref().is_some_and(|r| r.starts_with(crate::gate::BASELINED));
    if baseline_used {
        result["baselineState"] = json!(if baselined { "unchanged" } else { "new" });
    }
    if let Some(why) = f.suppressed.as_ref().filter(|_| !baselined) {
        result["suppressions"] = json!([{ "kind": "external", "status": "accepted", "justification": why }]);
    }
    result
}

fn notifications(report: &Report) -> Vec<Value> {
    let mut out = Vec::new();
    if report.nothing_checked {
        out.push(json!({ "level": "warning", "message": { "text": crate::Report::NOTHING_CHECKED } }));
    }
    for c in &report.checks {
        if let Some(e) = &c.error {
            out.push(json!({ "level": "error", "message": { "text": format!("{}: could not run: {e}", c.check) } }));
        }
        for f in c.findings.iter().filter(|f| f.status == Status::Skip) {
            let fix = f.remedy.as_deref().map(|r| format!(" ({r})")).unwrap_or_default();
            out.push(json!({
                "level": "warning",
                "message": { "text": format!("{}: {}{fix}", c.check, f.detail) },
                "descriptor": { "id": f.code },
            }));
        }
    }
    out
}

/// The report as a SARIF 2.1.0 log (pretty JSON).
pub fn report_sarif(report: &Report, locator: &Locator) -> String {
    let mut rules: Vec<Value> = Vec::new();
    let mut ids: Vec<String> = Vec::new();
    for r in crate::checks::all_rules().into_iter().filter(|r| report.check(r.check).is_some()) {
        ids.push(r.code.to_string());
        rules.push(rule_json(r));
    }
    let mut results = Vec::new();
    for c in &report.checks {
        for f in c.findings.iter().filter(|f| matches!(f.status, Status::Warn | Status::Fail)) {
            let index = match ids.iter().position(|id| *id == f.code) {
                Some(i) => i,
                None => {
                    ids.push(f.code.clone());
                    rules.push(json!({ "id": f.code, "name": f.name, "shortDescription": { "text": f.title } }));
                    ids.len() - 1
                }
            };
            results.push(result_json(f, index, locator, report.baseline.is_some()));
        }
    }
    let mut invocation = json!({
        "executionSuccessful": !report.checks.iter().any(|c| c.status == CheckStatus::Error),
        "toolExecutionNotifications": notifications(report),
        "properties": {
            "verdict": report.verdict.as_str(),
            "environment": report.environment,
            "nothingChecked": report.nothing_checked,
        },
    });
    if !report.started_at.is_empty() {
        invocation["startTimeUtc"] = json!(report.started_at);
    }
    if let Some(g) = &report.gate {
        invocation["exitCode"] = json!(g.exit_code);
    }
    let log = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": report.tool.name,
                "version": report.tool.version,
                "semanticVersion": report.tool.version,
                "rules": rules,
            }},
            "invocations": [invocation],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&log).unwrap_or_default()
}
