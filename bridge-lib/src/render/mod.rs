//! Rendering apart from checking: the same report as terminal text, JSON, HTML, and the formats
//! CI systems read (GitHub workflow commands, JUnit XML, SARIF 2.1.0, Markdown). Renderers
//! return text; they never print.
//!
//! Depends only on the report ([`crate::report`], its typed check data) and the findings: the
//! checks write their data, the renderers read it, and the notebook ([`crate::nb`]) shows what
//! they return.

pub mod capacity_chart;
pub mod capacity_scaling;
pub mod cost_chart;
pub mod forecast_chart;
pub mod github;
pub mod html;
pub mod junit;
pub mod locate;
pub mod markdown;
pub mod rls_matrix;
pub mod sarif;
pub mod text;
pub mod waterfall;

pub use capacity_chart::capacity_chart;
pub use capacity_scaling::capacity_scaling;
pub use cost_chart::cost_chart;
pub use forecast_chart::forecast_chart;
pub use github::report_github;
pub use html::{outcome_html, report_html, Html};
pub use junit::report_junit;
pub use locate::{Locator, Migrations, SourceLocation};
pub use markdown::report_markdown;
pub use rls_matrix::rls_matrix_html;
pub use sarif::report_sarif;
pub use text::{outcome_text, report_text};
pub use waterfall::waterfall;
