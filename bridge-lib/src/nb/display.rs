//! Rich display in the Rust Jupyter kernel (evcxr): a value that is the last expression of a
//! cell is shown through its `evcxr_display` method. This is the only place the library writes
//! to stdout, and only in that protocol.
#![allow(clippy::print_stdout)]

use super::callforward::Preview;
use super::env::{Env, Notice};
use crate::render::{self, html::esc, html::key_value_table, html::warning, Html};
use crate::report::{CheckId, CheckOutcome, Report};

fn emit(html: &str, text: &str) {
    println!("EVCXR_BEGIN_CONTENT text/html\n{html}\nEVCXR_END_CONTENT");
    println!("EVCXR_BEGIN_CONTENT text/plain\n{}\nEVCXR_END_CONTENT", text.trim_end());
}

impl Report {
    /// Shows the report as an HTML table in the notebook.
    pub fn evcxr_display(&self) {
        emit(&render::report_html(self), &render::report_text(self));
    }
}

impl CheckOutcome {
    /// Shows one check's findings as an HTML table in the notebook.
    pub fn evcxr_display(&self) {
        emit(&render::outcome_html(self), &render::outcome_text(self));
    }
}

impl Html {
    /// Shows the HTML in the notebook.
    pub fn evcxr_display(&self) {
        emit(&self.0, "(html output)");
    }
}

impl Env {
    /// Shows which environment the notebook uses, and why (no secrets).
    pub fn evcxr_display(&self) {
        let description = self.description();
        let how = CheckId::ALL
            .iter()
            .map(|id| {
                let w = if self.runs_here(*id) { "in the notebook" } else { "through the bridge binary" };
                format!("{id}: {w}")
            })
            .collect::<Vec<_>>()
            .join(", ");
        let rows = description.rows();
        let mut h = key_value_table(rows.iter().copied().chain([("checks run", how.as_str())]));
        let mut text: String = rows.iter().map(|(k, v)| format!("{k}: {v}\n")).collect();
        match &self.notice {
            Notice::Warning(t) => h.push_str(&warning(t)),
            Notice::Info(t) => h.push_str(&format!("<p>{}</p>", esc(t))),
        }
        text.push_str(self.notice.text());
        emit(&h, &text);
    }
}

impl Preview {
    /// Shows the per-tenant savings table.
    pub fn evcxr_display(&self) {
        emit(&self.html(), &self.text());
    }
}
