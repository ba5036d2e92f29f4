//! The audit chain's newest hash, kept outside the database too. The chain
//! alone shows an edited or deleted row; a whole table replaced by a
//! consistent forgery (or a database swapped for another) is only caught by
//! a hash recorded somewhere else. After each approval a line is appended to
//! `audit-anchors.txt` beside the snapshots; a restore appends a line of its
//! own, so approvals the restore rolled back are told apart from rewrites.

use std::io::Write;
use std::path::Path;

use crate::error::{EngineError, Result};

/// The file's name in the backup folder.
pub const FILE: &str = "audit-anchors.txt";

/// One line of the file: `anchor` or `restore`, UTC time, row id, row hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub kind: AnchorKind,
    pub at: String,
    pub id: i64,
    pub hash: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnchorKind {
    /// The chain's head after an approval.
    Anchor,
    /// The chain's head right after a snapshot was restored.
    Restore,
}

/// Appends a line and syncs it; `head` is `None` for an empty chain.
pub fn append(dir: &Path, kind: AnchorKind, head: Option<(i64, &str)>) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| EngineError::io(format!("creating {}", dir.display()), e))?;
    let path = dir.join(FILE);
    let (id, hash) = head.unwrap_or((0, ""));
    let word = match kind {
        AnchorKind::Anchor => "anchor",
        AnchorKind::Restore => "restore",
    };
    let at = jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ");
    let line = format!("{word}\t{at}\t{id}\t{hash}\n");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| EngineError::io(format!("opening {}", path.display()), e))?;
    file.write_all(line.as_bytes())
        .and_then(|()| file.sync_data())
        .map_err(|e| EngineError::io(format!("writing {}", path.display()), e))
}

/// The lines of `dir`'s file, oldest first; a missing file has none, an
/// unreadable line is reported as a problem rather than skipped.
pub fn read(dir: &Path) -> Result<(Vec<Anchor>, Vec<String>)> {
    let path = dir.join(FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), Vec::new())),
        Err(e) => return Err(EngineError::io(format!("reading {}", path.display()), e)),
    };
    let mut anchors = Vec::new();
    let mut problems = Vec::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let parts: Vec<&str> = line.split('\t').collect();
        let kind = match parts.first() {
            Some(&"anchor") => Some(AnchorKind::Anchor),
            Some(&"restore") => Some(AnchorKind::Restore),
            _ => None,
        };
        match (kind, parts.as_slice()) {
            (Some(kind), [_, at, id, hash]) if id.parse::<i64>().is_ok() => anchors.push(Anchor {
                kind,
                at: (*at).to_owned(),
                id: id.parse().unwrap_or_default(),
                hash: (*hash).to_owned(),
            }),
            _ => problems.push(format!("{}: line {} cannot be read (edited?)", path.display(), n + 1)),
        }
    }
    Ok((anchors, problems))
}

/// Compares the anchors with the chain (`hash_of(id)` is the stored row's
/// hash). An anchor after the last restore must match; one before it must
/// match if its row survived the restore.
pub fn check(anchors: &[Anchor], mut hash_of: impl FnMut(i64) -> Option<String>) -> Vec<String> {
    let last_restore = anchors.iter().rposition(|a| a.kind == AnchorKind::Restore);
    let mut problems = Vec::new();
    for (i, a) in anchors.iter().enumerate() {
        if a.id == 0 {
            continue;
        }
        let rolled_back = last_restore.is_some_and(|r| i < r && a.id > anchors[r].id);
        match hash_of(a.id) {
            Some(h) if h == a.hash => {}
            _ if rolled_back => {}
            Some(_) => problems.push(format!(
                "row {} differs from the hash recorded outside the database at {} (the audit trail was rewritten or replaced)",
                a.id, a.at
            )),
            None => problems.push(format!(
                "row {} recorded outside the database at {} is gone (the audit trail was cut or replaced)",
                a.id, a.at
            )),
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anchor(kind: AnchorKind, id: i64, hash: &str) -> Anchor {
        Anchor { kind, at: "t".into(), id, hash: hash.into() }
    }

    #[test]
    fn a_restore_forgives_only_the_rows_it_rolled_back() {
        let chain = |id: i64| match id {
            1 => Some("a".to_owned()),
            2 => Some("b".to_owned()),
            _ => None,
        };
        let ok = [anchor(AnchorKind::Anchor, 1, "a"), anchor(AnchorKind::Anchor, 2, "b")];
        assert!(check(&ok, chain).is_empty());
        let rolled = [anchor(AnchorKind::Anchor, 3, "c"), anchor(AnchorKind::Restore, 2, "b")];
        assert!(check(&rolled, chain).is_empty());
        let cut = [anchor(AnchorKind::Anchor, 3, "c")];
        assert_eq!(check(&cut, chain).len(), 1);
        let rewritten = [anchor(AnchorKind::Anchor, 1, "x"), anchor(AnchorKind::Restore, 2, "b")];
        assert_eq!(check(&rewritten, chain).len(), 1, "a surviving row must still match");
    }
}
