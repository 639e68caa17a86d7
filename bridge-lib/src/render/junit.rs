//! JUnit XML for the test reporters of Jenkins, GitLab and GitHub: one `<testsuite>` per check,
//! holding one `<testcase>` for the check itself and one per rule of the check, passes
//! included. A skipped check or finding is `<skipped>`, a check that could not run `<error>`, a
//! failure `<failure>`; warnings and suppressions keep the case passing and show in its
//! `<system-out>` and a `warnings` property. Text is XML-escaped, and characters XML 1.0
//! forbids (control characters other than tab and line breaks) are written as `\u{…}`.

use crate::finding::{Finding, Status};
use crate::report::{CheckOutcome, CheckStatus, Report};
use std::fmt::Write;

/// Escapes text for XML 1.0 content and attribute values.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || matches!(c as u32, 0x7F..=0x84 | 0x86..=0x9F | 0xFFFE | 0xFFFF) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

fn secs(ms: u64) -> String {
    format!("{:.3}", ms as f64 / 1000.0)
}

struct Case {
    name: String,
    time_ms: u64,
    /// `(element, message, body)`: `failure`, `error` or `skipped`.
    outcome: Option<(&'static str, String, String)>,
    out: String,
    warnings: usize,
}

fn finding_text(f: &Finding) -> String {
    let mut t = format!("{} {} [{}]: {}", f.code, f.name, f.status.as_str(), f.detail);
    if let Some(why) = &f.suppressed {
        let _ = write!(t, " (suppressed: {why})");
    } else if let Some(r) = &f.remedy {
        let _ = write!(t, "\nfix: {r}");
    }
    t
}

/// One case per rule (in the check's rule order, then codes the registry does not know).
fn rule_cases(c: &CheckOutcome) -> Vec<Case> {
    let mut codes: Vec<(String, String)> = crate::checks::all_rules()
        .into_iter()
        .filter(|r| r.check == c.check && !(r.name.ends_with("-check-skipped") && c.status != CheckStatus::Skip))
        .map(|r| (r.code.to_string(), r.name.to_string()))
        .collect();
    for f in &c.findings {
        if !codes.iter().any(|(code, _)| *code == f.code) {
            codes.push((f.code.clone(), f.name.clone()));
        }
    }
    let not_run = match c.status {
        CheckStatus::Error => Some("not evaluated: the check could not run"),
        CheckStatus::Skip => Some("not evaluated: the check skipped"),
        _ => None,
    };
    codes
        .into_iter()
        .map(|(code, name)| {
            let fs: Vec<&Finding> = c.findings.iter().filter(|f| f.code == code).collect();
            let text = |st: Status| fs.iter().filter(move |f| f.effective_status() == st).map(|f| finding_text(f));
            let fails: Vec<String> = text(Status::Fail).collect();
            let skips: Vec<String> = text(Status::Skip).collect();
            let warns: Vec<String> = text(Status::Warn).collect();
            let noted: Vec<String> = fs.iter().filter(|f| f.suppressed.is_some()).map(|f| finding_text(f)).collect();
            let outcome = if !fails.is_empty() {
                Some(("failure", format!("{} failing: {}", fails.len(), first_line(&fails[0])), fails.join("\n\n")))
            } else if !skips.is_empty() && warns.is_empty() {
                Some(("skipped", first_line(&skips[0]), skips.join("\n\n")))
            } else if fs.is_empty() {
                not_run.map(|m| ("skipped", m.to_string(), String::new()))
            } else {
                None
            };
            let out = warns.iter().map(|w| format!("warning: {w}")).chain(noted).collect::<Vec<_>>().join("\n\n");
            Case { name: format!("{code} {name}"), time_ms: 0, outcome, out, warnings: warns.len() }
        })
        .collect()
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().to_string()
}

fn check_case(c: &CheckOutcome, nothing_checked: bool) -> Case {
    let all = |st: Status| c.findings.iter().filter(move |f| f.effective_status() == st).map(finding_text);
    let outcome = match c.status {
        CheckStatus::Error => {
            let e = c.error.clone().unwrap_or_default();
            Some(("error", format!("could not run: {}", first_line(&e)), e))
        }
        CheckStatus::Fail => Some(("failure", format!("{} critical failure(s)", c.count(Status::Fail)), String::new())),
        CheckStatus::Skip => {
            let why: Vec<String> = all(Status::Skip).collect();
            Some(("skipped", why.first().map(|w| first_line(w)).unwrap_or_default(), why.join("\n\n")))
        }
        _ => None,
    };
    let mut warns: Vec<String> = all(Status::Warn).map(|w| format!("warning: {w}")).collect();
    let n = warns.len();
    if nothing_checked {
        warns.insert(0, crate::Report::NOTHING_CHECKED.to_string());
    }
    Case {
        name: format!("{} {}", c.check, c.check.title()),
        time_ms: c.duration_ms,
        outcome,
        out: warns.join("\n\n"),
        warnings: n,
    }
}

fn write_case(s: &mut String, class: &str, case: &Case) {
    let _ = write!(
        s,
        "    <testcase classname=\"{}\" name=\"{}\" time=\"{}\"",
        xml_escape(class),
        xml_escape(&case.name),
        secs(case.time_ms)
    );
    if case.outcome.is_none() && case.out.is_empty() {
        s.push_str("/>\n");
        return;
    }
    s.push_str(">\n");
    if case.warnings > 0 {
        let _ = writeln!(s, "      <properties><property name=\"warnings\" value=\"{}\"/></properties>", case.warnings);
    }
    if let Some((el, msg, body)) = &case.outcome {
        let kind = if *el == "skipped" { String::new() } else { format!(" type=\"{el}\"") };
        let _ = writeln!(s, "      <{el} message=\"{}\"{kind}>{}</{el}>", xml_escape(msg), xml_escape(body));
    }
    if !case.out.is_empty() {
        let _ = writeln!(s, "      <system-out>{}</system-out>", xml_escape(&case.out));
    }
    s.push_str("    </testcase>\n");
}

/// The report as JUnit XML.
pub fn report_junit(report: &Report) -> String {
    let timestamp = report.started_at.trim_end_matches('Z');
    let mut suites = String::new();
    let mut totals = [0usize; 4];
    for c in &report.checks {
        let mut cases = vec![check_case(c, report.nothing_checked)];
        cases.extend(rule_cases(c));
        let count = |el: &str| cases.iter().filter(|k| k.outcome.as_ref().is_some_and(|o| o.0 == el)).count();
        let n = [cases.len(), count("failure"), count("error"), count("skipped")];
        for (t, v) in totals.iter_mut().zip(n) {
            *t += v;
        }
        let _ = writeln!(
            suites,
            "  <testsuite name=\"bridge.{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\" \
             timestamp=\"{}\">",
            c.check,
            n[0],
            n[1],
            n[2],
            n[3],
            secs(c.duration_ms),
            xml_escape(timestamp),
        );
        let _ = writeln!(
            suites,
            "    <properties><property name=\"status\" value=\"{}\"/><property name=\"warnings\" value=\"{}\"/></properties>",
            c.status.as_str(),
            c.count(Status::Warn)
        );
        for case in &cases {
            write_case(&mut suites, &format!("bridge.{}", c.check), case);
        }
        suites.push_str("  </testsuite>\n");
    }
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        s,
        "<testsuites name=\"bridge readiness: {}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\">",
        xml_escape(report.verdict.as_str()),
        totals[0],
        totals[1],
        totals[2],
        totals[3],
        secs(report.duration_ms)
    );
    if report.nothing_checked {
        let _ = writeln!(s, "  <!-- {} -->", crate::Report::NOTHING_CHECKED.replace("--", "- -"));
    }
    s.push_str(&suites);
    s.push_str("</testsuites>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_forbidden_control_characters() {
        assert_eq!(xml_escape("a<b & \"c\" 'd'>"), "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;");
        assert_eq!(xml_escape("x\u{1b}[31m\u{0}y\n"), "x\\u{1b}[31m\\u{0}y&#10;");
    }
}
