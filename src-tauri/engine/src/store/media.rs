//! Team storage: the rendered files a team reviews and publishes, kept in
//! the team database by their SHA-256, in chunks.
//!
//! Why the database and not a shared folder on the team's NAS: the same
//! logins and roles guard the files as guard the records (members may add a
//! file, nobody but the owner can change or remove one, which a writable
//! share cannot promise), one backup of the database covers records and
//! files together, a laptop needs one address and port rather than a mounted
//! share that Windows and macOS each reach their own way, and a submission's
//! files are in place before its review row commits. The price is size: a
//! full-length Bilibili version is gigabytes, so files go in 4 MiB chunks,
//! each its own statement (no transaction holds gigabytes), stored without
//! compression (video is compressed already), and identical files are kept
//! once. Every read checks the SHA-256 the file is named by, so bytes
//! altered in storage are refused, not published.

use std::io::{Read, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

use super::Store;
use super::db::args;
use crate::error::{EngineError, Result};

/// Bytes per stored chunk.
pub const CHUNK: usize = 4 * 1024 * 1024;

impl Store {
    /// Stores a file (once per content); returns its SHA-256 and size.
    /// A file whose upload was cut off is completed on the next call.
    pub fn put_media(&self, path: &Path) -> Result<(String, u64)> {
        let io = |e| EngineError::io(format!("reading {}", path.display()), e);
        let (size, sha) = crate::render::hash_file(path).map_err(io)?;
        if self.db.opt("SELECT 1 FROM media WHERE sha256 = ?1", args![sha])?.is_some() {
            return Ok((sha, size));
        }
        let mut file = std::fs::File::open(path).map_err(io)?;
        let mut buf = vec![0u8; CHUNK];
        let mut seq: i64 = 0;
        let mut check = Sha256::new();
        loop {
            let n = read_full(&mut file, &mut buf).map_err(io)?;
            if n == 0 && seq > 0 {
                break;
            }
            check.update(&buf[..n]);
            self.db.execute(
                "INSERT INTO media_chunks (sha256, seq, bytes) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                args![sha, seq, buf[..n].to_vec()],
            )?;
            seq += 1;
            if n < CHUNK {
                break;
            }
        }
        if crate::digest::hex(&check.finalize()) != sha {
            return Err(EngineError::Forbidden(
                crate::message::Notice::new(
                    "team.changed_while_sent",
                    format!("{} changed while it was being sent to the team; send it again", path.display()),
                )
                .with("path", path.display()),
            ));
        }
        self.db.execute(
            "INSERT INTO media (sha256, size_bytes, chunks) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
            args![sha, i64::try_from(size).unwrap_or(i64::MAX), seq],
        )?;
        Ok((sha, size))
    }

    /// Whether the team has a complete copy of `sha256`.
    pub fn has_media(&self, sha256: &str) -> Result<bool> {
        Ok(self.db.opt("SELECT 1 FROM media WHERE sha256 = ?1", args![sha256])?.is_some())
    }

    /// Writes the stored file `sha256` to `dest` (through a `.part` file),
    /// checking it is exactly the file of that hash; `what` names it in errors.
    pub fn fetch_media(&self, sha256: &str, dest: &Path, what: &str) -> Result<u64> {
        let part = crate::render::partial_path(dest);
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir).map_err(|e| EngineError::io(format!("creating {}", dir.display()), e))?;
        }
        let outcome = (|| {
            let mut out =
                std::fs::File::create(&part).map_err(|e| EngineError::io(format!("writing {}", part.display()), e))?;
            let size = self.read_media(sha256, what, &mut |bytes| {
                out.write_all(bytes).map_err(|e| EngineError::io(format!("writing {}", part.display()), e))
            })?;
            out.sync_all().map_err(|e| EngineError::io(format!("writing {}", part.display()), e))?;
            drop(out);
            std::fs::rename(&part, dest)
                .map_err(|e| EngineError::io(format!("renaming {} to {}", part.display(), dest.display()), e))?;
            Ok(size)
        })();
        if outcome.is_err() {
            let _ = std::fs::remove_file(&part);
        }
        outcome
    }

    /// Reads the stored file through, checking its hash; keeps nothing.
    pub fn verify_media(&self, sha256: &str, what: &str) -> Result<u64> {
        self.read_media(sha256, what, &mut |_| Ok(()))
    }

    fn read_media(&self, sha256: &str, what: &str, sink: &mut dyn FnMut(&[u8]) -> Result<()>) -> Result<u64> {
        let Some(row) = self.db.opt("SELECT size_bytes, chunks FROM media WHERE sha256 = ?1", args![sha256])? else {
            let short = &sha256[..sha256.len().min(12)];
            return Err(EngineError::Forbidden(
                crate::message::Notice::new(
                    "team.not_in_storage",
                    format!("{what} is not in team storage (SHA-256 {short}…); ask its editor to submit it again"),
                )
                .with("what", what)
                .with("sha", short),
            ));
        };
        let (size, chunks): (i64, i64) = (row.get(0)?, row.get(1)?);
        let mut hash = Sha256::new();
        let mut read: i64 = 0;
        for seq in 0..chunks {
            let bytes: Vec<u8> = self
                .db
                .opt("SELECT bytes FROM media_chunks WHERE sha256 = ?1 AND seq = ?2", args![sha256, seq])?
                .map(|r| r.get(0))
                .transpose()?
                .unwrap_or_default();
            hash.update(&bytes);
            read += i64::try_from(bytes.len()).unwrap_or(i64::MAX);
            sink(&bytes)?;
        }
        let actual = crate::digest::hex(&hash.finalize());
        if actual != sha256 || read != size {
            return Err(EngineError::MediaAltered {
                what: what.to_owned(),
                expected: sha256.to_owned(),
                actual,
                size: read.max(0).cast_unsigned(),
            });
        }
        Ok(size.max(0).cast_unsigned())
    }
}

fn read_full(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}
