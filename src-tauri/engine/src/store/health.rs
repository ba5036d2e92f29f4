//! The check a database file passes before the studio writes to it. A file
//! that is damaged, is not a database or comes from a newer build is left
//! exactly as it is (opened read-only, if at all), so the user can still
//! restore a snapshot or send the file to someone who can look at it.

use std::io::Read;
use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::migrations::LATEST;

/// What the check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// No file yet: a new studio.
    Missing,
    /// Readable and consistent, at this schema version.
    Good { version: u32 },
    /// Written by a newer build.
    Newer { version: u32 },
    /// Cannot be used; says what is wrong.
    Damaged(String),
}

/// SQLite's file header.
const MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Reads the header, opens read-only and runs `quick_check` (a full read of
/// every page without the index cross-checks: a second or two for a large
/// file, done once per process).
pub fn check(path: &Path) -> Health {
    let len = match std::fs::metadata(path) {
        Ok(m) => m.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Health::Missing,
        Err(e) => return Health::Damaged(format!("it cannot be read: {e}")),
    };
    if len == 0 {
        return Health::Damaged("the file is empty (0 bytes)".into());
    }
    let mut head = [0u8; 100];
    let read = std::fs::File::open(path).and_then(|mut f| f.read(&mut head));
    match read {
        Ok(n) if n >= 16 && &head[..16] == MAGIC => {}
        Ok(_) => {
            return Health::Damaged("it is not an SQLite database (its first bytes are not SQLite's header)".into());
        }
        Err(e) => return Health::Damaged(format!("it cannot be read: {e}")),
    }
    if len < 100 {
        return Health::Damaged(format!("the file is cut short: {len} bytes, less than SQLite's header"));
    }
    if let Some(expected) = header_size(&head)
        && len < expected
    {
        return Health::Damaged(format!("the file is cut short: {len} bytes of the {expected} its header promises"));
    }
    let conn = match Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY) {
        Ok(c) => c,
        Err(e) => return Health::Damaged(e.to_string()),
    };
    let version: u32 = match conn.pragma_query_value(None, "user_version", |r| r.get(0)) {
        Ok(v) => v,
        Err(e) => return Health::Damaged(e.to_string()),
    };
    if version > LATEST {
        return Health::Newer { version };
    }
    let rows: rusqlite::Result<Vec<String>> =
        conn.prepare("PRAGMA quick_check").and_then(|mut s| s.query_map([], |r| r.get(0))?.collect());
    match rows {
        Ok(rows) if rows == ["ok"] => Health::Good { version },
        Ok(rows) => Health::Damaged(rows.into_iter().take(3).collect::<Vec<_>>().join("; ")),
        Err(e) => Health::Damaged(e.to_string()),
    }
}

/// Page size × page count from the header, when SQLite itself would trust
/// the count (it is non-zero and the change counter at 24 matches the
/// "version valid for" number at 92).
fn header_size(head: &[u8; 100]) -> Option<u64> {
    let be32 = |at: usize| u32::from_be_bytes([head[at], head[at + 1], head[at + 2], head[at + 3]]);
    let page = match u16::from_be_bytes([head[16], head[17]]) {
        1 => 65536,
        n => u64::from(n),
    };
    let pages = u64::from(be32(28));
    (pages > 0 && be32(24) == be32(92) && page >= 512).then_some(page * pages)
}
