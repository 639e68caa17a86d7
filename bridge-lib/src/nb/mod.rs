//! A synchronous front for the notebook, and everything only the notebook uses: the
//! environment ([`Env`]), checks run through the `bridge` binary, the recap, the call-forward
//! preview, and rich display in the Rust kernel.
//!
//! The Rust kernel runs each cell as plain code; these functions run the async library on a
//! private runtime so cells need no `.await` (evcxr cannot infer the types of awaited values)
//! and stay short. Every function returns a value whose `evcxr_display` renders HTML.
//!
//! `use bridge_lib::nb::*;` brings in everything a cell needs.

pub mod callforward;
mod child;
mod display;
mod env;
pub mod evidence;
pub mod lab;
pub mod models;
pub mod recap;

pub use self::callforward::{Assumptions, Preview};
pub use self::child::workspace_dir;
pub use self::display::{for_notebook, html_text};
pub use self::env::{Description, Env, Notice};
pub use self::lab::Flaw;
pub use self::models::{ModelPlan, ModelPrice, BRIEF_SAVINGS_PER_MONTH};
pub use crate::demo::Variant;
pub use crate::render::Html;
pub use crate::report::{CheckId, CheckOutcome, CheckStatus, Report, Verdict};

use std::future::Future;
use std::time::Duration;

/// The variable that switches the notebook to the demo: `clean` or `broken`.
pub const DEMO_VAR: &str = "BRIDGE_NOTEBOOK_DEMO";
/// Set to `exit` by the headless runner: [`Report::gate`] then ends the kernel's process on
/// *not ready* (a clean failed cell) instead of unwinding.
pub const GATE_VAR: &str = "BRIDGE_NOTEBOOK_GATE";
/// The variable that names the `bridge` binary used for checks this build does not include.
pub const BIN_VAR: &str = "BRIDGE_BIN";
/// The most a check run through the `bridge` binary may take (the check's own limit plus
/// process start-up).
pub const CHILD_LIMIT: Duration = Duration::from_secs(crate::runner::CHECK_LIMIT.as_secs() + 30);
/// The most building the `bridge` binary on demand may take.
pub const BUILD_LIMIT: Duration = Duration::from_secs(30 * 60);

/// Runs a future to completion on a private runtime (on its own thread when called from inside
/// another runtime, where blocking is not allowed).
pub fn block_on<F: Future + Send>(fut: F) -> F::Output
where
    F::Output: Send,
{
    let run = |fut: F| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime")
            .block_on(fut)
    };
    if tokio::runtime::Handle::try_current().is_ok() {
        std::thread::scope(|s| s.spawn(|| run(fut)).join().expect("the runtime thread panicked"))
    } else {
        run(fut)
    }
}
