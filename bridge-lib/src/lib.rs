//! # bridge
//!
//! Readiness checks that prove a multi-tenant RAG/LLM SaaS is ready to move from tenant
//! isolation to per-tenant customization:
//!
//! 1. `rls`: PostgreSQL row-level security really isolates tenants for the application role;
//! 2. `cost`: per-tenant allocated cost reconciles with the providers' bills (±5% / 10%);
//! 3. `capacity`: every tenant's Pinecone namespace is found and measured against its quota;
//! 4. `tenants`: at least three test tenants are provisioned end to end.
//!
//! The library never prints: checks return a [`Report`] of findings, which the CLI renders as
//! text or JSON and the notebook as HTML. With no configuration, [`demo`] starts a throwaway
//! PostgreSQL with a reference schema and sample data.
//!
//! ```no_run
//! # async fn f() -> bridge_lib::Result<()> {
//! let demo = bridge_lib::demo::Demo::start(bridge_lib::demo::Variant::Clean).await?;
//! let report = bridge_lib::run_checks(&demo.config(), &[]).await;
//! assert_eq!(report.exit_code(), 0);
//! # Ok(()) }
//! ```

pub mod check_id;
pub mod checks;
pub mod civil;
pub mod config;
pub mod db;
pub mod demo;
pub mod deprovision;
pub mod error;
pub mod files;
pub mod finding;
pub mod gate;
pub mod lifecycle;
pub mod nb;
pub mod pinecone;
pub mod provision;
pub mod render;
pub mod report;
pub mod runner;
pub mod secret;
pub mod setting;
pub mod tenant;

pub use config::Config;
pub use error::{Error, ErrorKind, Result};
pub use finding::{Finding, Rule, Status};
pub use nb::{callforward, recap};
pub use render::Html;
pub use report::{CheckId, CheckOutcome, CheckStatus, Report, Verdict};
pub use runner::{run_check, run_checks};
pub use secret::Secret;
