//! Rendering apart from checking: the same report as terminal text, JSON or HTML.

pub mod capacity_chart;
pub mod cost_chart;
pub mod html;
pub mod rls_matrix;
pub mod text;

pub use capacity_chart::capacity_chart;
pub use cost_chart::cost_chart;
pub use html::{outcome_html, report_html};
pub use rls_matrix::rls_matrix_html;
pub use text::{outcome_text, report_text};
