//! What the billed exports and the ledger files share: the file type by extension, and the
//! error for a file that cannot be read.

use crate::Error;
use std::path::Path;

/// The file's extension, lower case (`""` when it has none).
pub(crate) fn extension(path: &Path) -> String {
    path.extension().and_then(|e| e.to_str()).unwrap_or("").to_lowercase()
}

/// A file that cannot be read at all.
pub(crate) fn unreadable(name: &str, e: &dyn std::fmt::Display) -> Error {
    Error::input(
        name,
        format!("cannot read the file: {e}"),
        "check the path in BRIDGE_BILLED_FILES / BRIDGE_ALLOCATED_FILES",
    )
}
