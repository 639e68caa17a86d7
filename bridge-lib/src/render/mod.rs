//! Rendering apart from checking: the same report as terminal text, JSON or HTML.

pub mod cost_chart;
pub mod html;
pub mod text;

pub use cost_chart::cost_chart;
pub use html::{outcome_html, report_html};
pub use text::report_text;
