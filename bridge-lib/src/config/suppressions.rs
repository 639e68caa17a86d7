//! The suppression file (`BRIDGE_SUPPRESSIONS`): one `KEY reason…` per line, `#` starts a
//! comment line.

use crate::{Error, Result};
use std::path::Path;

/// Reads a suppression file into (key, reason) pairs; a key without a reason is an error.
pub fn read(path: &Path) -> Result<Vec<(String, String)>> {
    let text =
        crate::files::read_bounded_text(path, 4 * crate::files::MIB, "the suppression file (BRIDGE_SUPPRESSIONS)")?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, reason) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        if reason.trim().is_empty() {
            return Err(Error::Input {
                location: format!("{}:{}", path.display(), n + 1),
                reason: format!("suppression `{key}` has no reason"),
                fix: "write the reason after the key: `RLS004:public.documents accepted by security review`".into(),
            });
        }
        out.push((key.to_string(), reason.trim().to_string()));
    }
    Ok(out)
}
