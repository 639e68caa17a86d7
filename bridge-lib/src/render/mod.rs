//! Rendering apart from checking: the same report as terminal text, JSON or HTML.
//!
//! Depends only on the report ([`crate::report`], its typed check data) and the findings: the
//! checks write their data, the renderers read it, and the notebook ([`crate::nb`]) shows what
//! they return.

pub mod capacity_chart;
pub mod cost_chart;
pub mod html;
pub mod rls_matrix;
pub mod text;

pub use capacity_chart::capacity_chart;
pub use cost_chart::cost_chart;
pub use html::{outcome_html, report_html, Html};
pub use rls_matrix::rls_matrix_html;
pub use text::{outcome_text, report_text};
