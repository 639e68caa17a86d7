//! What the billed exports and the ledger files share: the file type by extension (reads go
//! through [`crate::files`], which refuses anything but a regular file and bounds the size).

use std::path::Path;

/// The file's extension, lower case (`""` when it has none).
pub(crate) fn extension(path: &Path) -> String {
    path.extension().and_then(|e| e.to_str()).unwrap_or("").to_lowercase()
}
