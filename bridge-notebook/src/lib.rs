//! bridge-lib as one shared library for the notebook (see Cargo.toml). The notebook loads it as
//! `bridge_lib` (`:dep bridge_lib = { package = "bridge-notebook", path = "bridge-notebook" }`),
//! so its cells read `use bridge_lib::nb::*;` either way.
pub use bridge_lib::*;
