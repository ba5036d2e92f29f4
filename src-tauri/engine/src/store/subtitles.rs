//! A master's subtitles: each import a new track (the newest one counts),
//! cues editable, every edit kept.

use serde::{Deserialize, Serialize};

use super::Store;
use super::db::{Db, args};
use crate::error::{EngineError, Result};
use crate::message::Notice;
use crate::subtitles::{Cue, SubtitleTrack};

/// The subtitles a master has now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MasterSubtitles {
    pub track_id: i64,
    pub master_id: i64,
    pub file_name: String,
    pub format: String,
    pub encoding: String,
    /// What was changed or left out when the file was read.
    pub warnings: Vec<crate::message::Notice>,
    pub added_by: String,
    pub added_at: String,
    pub cues: Vec<Cue>,
}

/// One correction of a cue's text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CueEdit {
    pub number: u32,
    pub old_text: String,
    pub new_text: String,
    pub edited_by: String,
    pub at: String,
}

fn newest_track(db: &Db, master_id: i64) -> Result<Option<i64>> {
    db.opt("SELECT id FROM subtitle_tracks WHERE master_id = ?1 ORDER BY id DESC LIMIT 1", args![master_id])?
        .map(|r| r.get(0))
        .transpose()
}

fn cues_of(db: &Db, track_id: i64) -> Result<Vec<Cue>> {
    db.query(
        "SELECT number, start_ms, end_ms, text, source_line FROM subtitle_cues WHERE track_id = ?1 ORDER BY number",
        args![track_id],
    )?
    .into_iter()
    .map(|mut r| {
        Ok(Cue {
            number: r.get::<i64>(0)? as u32,
            start_ms: r.get::<i64>(1)? as u64,
            end_ms: r.get::<i64>(2)? as u64,
            text: r.take(3)?,
            line: r.get::<i64>(4)? as usize,
        })
    })
    .collect()
}

impl Store {
    /// Stores a read subtitle file as the master's subtitles.
    pub fn add_subtitles(&mut self, master_id: i64, file_name: &str, track: &SubtitleTrack, by: &str) -> Result<i64> {
        let warnings = serde_json::to_string(&track.warnings)?;
        self.db.write(|tx| {
            tx.opt("SELECT id FROM masters WHERE id = ?1", args![master_id])?
                .ok_or(EngineError::NotFound { what: "master", id: master_id })?;
            let id: i64 = tx
                .row(
                    "INSERT INTO subtitle_tracks (master_id, file_name, format, encoding, warnings_json, added_by)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
                    args![master_id, file_name, track.format.as_str(), track.encoding, warnings, by],
                )?
                .get(0)?;
            for c in &track.cues {
                tx.execute(
                    "INSERT INTO subtitle_cues (track_id, number, start_ms, end_ms, text, source_line)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    args![id, i64::from(c.number), c.start_ms as i64, c.end_ms as i64, c.text, c.line as i64],
                )?;
            }
            Ok(id)
        })
    }

    /// The master's newest subtitles, if it has any.
    pub fn subtitles(&self, master_id: i64) -> Result<Option<MasterSubtitles>> {
        let Some(track_id) = newest_track(&self.db, master_id)? else { return Ok(None) };
        let mut r = self.db.row(
            "SELECT file_name, format, encoding, warnings_json, added_by, added_at FROM subtitle_tracks WHERE id = ?1",
            args![track_id],
        )?;
        Ok(Some(MasterSubtitles {
            track_id,
            master_id,
            file_name: r.take(0)?,
            format: r.take(1)?,
            encoding: r.take(2)?,
            warnings: serde_json::from_str(&r.take::<String>(3)?)?,
            added_by: r.take(4)?,
            added_at: r.take(5)?,
            cues: cues_of(&self.db, track_id)?,
        }))
    }

    /// Corrects one cue's text in the master's subtitles, keeping the old text.
    pub fn edit_cue(&mut self, master_id: i64, number: u32, text: &str, by: &str) -> Result<Cue> {
        let text = text.trim().replace("\r\n", "\n");
        if text.is_empty() {
            return Err(EngineError::Refused(Notice::new(
                "subtitles.cue_empty",
                "a cue needs text; to hide a cue, remove it in the captioning tool and import the file again",
            )));
        }
        self.db.write(|tx| {
            let track_id = newest_track(tx, master_id)?.ok_or_else(|| {
                EngineError::Refused(
                    Notice::new(
                        "subtitles.none",
                        format!(
                            "master {master_id} has no subtitles; add them first (studio subtitles add {master_id} FILE)"
                        ),
                    )
                    .with("master", master_id),
                )
            })?;
            let old: String = tx
                .opt("SELECT text FROM subtitle_cues WHERE track_id = ?1 AND number = ?2", args![track_id, i64::from(number)])?
                .ok_or_else(|| {
                    EngineError::Refused(
                        Notice::new("subtitles.no_cue", format!("the subtitles have no cue {number}"))
                            .with("number", number),
                    )
                })?
                .get(0)?;
            if old != text {
                tx.execute(
                    "UPDATE subtitle_cues SET text = ?3 WHERE track_id = ?1 AND number = ?2",
                    args![track_id, i64::from(number), text],
                )?;
                tx.execute(
                    "INSERT INTO subtitle_edits (track_id, number, old_text, new_text, edited_by) VALUES (?1, ?2, ?3, ?4, ?5)",
                    args![track_id, i64::from(number), old, text, by],
                )?;
            }
            cues_of(tx, track_id)?
                .into_iter()
                .find(|c| c.number == number)
                .ok_or_else(|| EngineError::StoreData(format!("cue {number} went missing")))
        })
    }

    /// Every correction of the master's current subtitles, oldest first.
    pub fn cue_edits(&self, master_id: i64) -> Result<Vec<CueEdit>> {
        let Some(track_id) = newest_track(&self.db, master_id)? else { return Ok(Vec::new()) };
        self.db
            .query(
                "SELECT number, old_text, new_text, edited_by, at FROM subtitle_edits WHERE track_id = ?1 ORDER BY id",
                args![track_id],
            )?
            .into_iter()
            .map(|mut r| {
                Ok(CueEdit {
                    number: r.get::<i64>(0)? as u32,
                    old_text: r.take(1)?,
                    new_text: r.take(2)?,
                    edited_by: r.take(3)?,
                    at: r.take(4)?,
                })
            })
            .collect()
    }

    /// The id of a master recorded under `path` in any project, newest first.
    pub fn master_by_path(&self, path: &str) -> Result<Option<i64>> {
        self.db
            .opt("SELECT id FROM masters WHERE path = ?1 ORDER BY id DESC LIMIT 1", args![path])?
            .map(|r| r.get(0))
            .transpose()
    }
}
