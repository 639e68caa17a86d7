//! Rich display in the Rust Jupyter kernel (evcxr): a value that is the last expression of a
//! cell is shown through its `evcxr_display` method. This is the only place the library writes
//! to stdout, and only in that protocol.
#![allow(clippy::print_stdout)]

use crate::render;
use crate::report::{CheckOutcome, Report};

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
        let single = Report::new("", vec![self.clone()]);
        emit(&render::outcome_html(self), &render::report_text(&single));
    }
}

/// HTML produced by the library for the notebook (a chart, a table), shown as-is.
#[derive(Debug, Clone)]
pub struct Html(pub String);

impl Html {
    /// Shows the HTML in the notebook.
    pub fn evcxr_display(&self) {
        emit(&self.0, "(html output)");
    }
}
