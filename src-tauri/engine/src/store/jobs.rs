//! Render jobs: queued → running → done | failed | cancelled.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::Store;
use super::db::{Row, args};
use crate::error::{EngineError, Result};
use crate::message::Notice;
use crate::plan::VariantPlan;
use crate::render::{Progress, RenderOutcome};

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    Queued,
    Running,
    Done,
    Failed,
    Cancelled,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "running" => Self::Running,
            "done" => Self::Done,
            "failed" => Self::Failed,
            "cancelled" => Self::Cancelled,
            _ => Self::Queued,
        }
    }
}

/// A render job as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RenderJob {
    pub id: i64,
    pub variant_id: i64,
    pub platform: String,
    pub state: JobState,
    pub attempts: u32,
    pub progress: f64,
    pub fps: Option<f64>,
    pub eta_seconds: Option<f64>,
    /// Why it failed or stopped, worded for a person (`[code] …` in English for logs).
    pub error: Option<Notice>,
    pub output_path: PathBuf,
    pub cover_path: Option<PathBuf>,
    pub size_bytes: Option<u64>,
    pub sha256: Option<String>,
    /// How the video was made: `smart: …`, `full re-encode: …`.
    pub method: Option<Notice>,
    /// The encoder that ran: `libx264`, `h264_nvenc`, `libx264 (h264_nvenc failed: …)`.
    pub encoder: Option<Notice>,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}

const JOB_COLUMNS: &str = "j.id, j.variant_id, v.platform, j.state, j.attempts, j.progress, j.fps, j.eta_s, j.error, \
     j.output_path, j.cover_path, j.size_bytes, j.sha256, j.created_at, j.started_at, j.finished_at, j.method, j.encoder";

/// A notice kept in a text column as JSON; rows written before notices had
/// codes hold the English sentence, which reads back as an uncoded notice.
fn stored_notice(text: Option<String>) -> Option<Notice> {
    let text = text?;
    if text.starts_with('{')
        && let Ok(n) = serde_json::from_str::<Notice>(&text)
    {
        return Some(n);
    }
    Some(Notice::uncoded(text))
}

/// The JSON a notice is kept as.
fn notice_json(n: Option<&Notice>) -> Option<String> {
    n.and_then(|n| serde_json::to_string(n).ok())
}

fn job_from_row(data_dir: &std::path::Path, r: &Row) -> Result<RenderJob> {
    Ok(RenderJob {
        id: r.get(0)?,
        variant_id: r.get(1)?,
        platform: r.get(2)?,
        state: JobState::parse(&r.get::<String>(3)?),
        attempts: r.get(4)?,
        progress: r.get(5)?,
        fps: r.get(6)?,
        eta_seconds: r.get(7)?,
        error: stored_notice(r.get(8)?),
        output_path: super::paths::local(data_dir, &r.get::<String>(9)?),
        cover_path: r.get::<Option<String>>(10)?.map(|p| super::paths::local(data_dir, &p)),
        size_bytes: r.get::<Option<i64>>(11)?.map(|v| v.max(0) as u64),
        sha256: r.get(12)?,
        method: stored_notice(r.get(16)?),
        encoder: stored_notice(r.get(17)?),
        created_at: r.get(13)?,
        started_at: r.get(14)?,
        finished_at: r.get(15)?,
    })
}

impl Store {
    pub fn jobs(&self) -> Result<Vec<RenderJob>> {
        let sql =
            format!("SELECT {JOB_COLUMNS} FROM render_jobs j JOIN variants v ON v.id = j.variant_id ORDER BY j.id");
        self.db.query(&sql, args![])?.iter().map(|r| job_from_row(self.data_dir(), r)).collect()
    }

    pub fn job(&self, id: i64) -> Result<RenderJob> {
        let sql =
            format!("SELECT {JOB_COLUMNS} FROM render_jobs j JOIN variants v ON v.id = j.variant_id WHERE j.id = ?1");
        let row = self.db.opt(&sql, args![id])?.ok_or(EngineError::NotFound { what: "render job", id })?;
        job_from_row(self.data_dir(), &row)
    }

    /// The variant's newest finished render, which is what was reviewed.
    pub fn latest_done_job(&self, variant_id: i64) -> Result<Option<RenderJob>> {
        let sql = format!(
            "SELECT {JOB_COLUMNS} FROM render_jobs j JOIN variants v ON v.id = j.variant_id
             WHERE j.variant_id = ?1 AND j.state = 'done' ORDER BY j.id DESC LIMIT 1"
        );
        self.db.opt(&sql, args![variant_id])?.map(|r| job_from_row(self.data_dir(), &r)).transpose()
    }

    /// Takes the oldest queued job and marks it running, atomically, so two
    /// workers never take the same job.
    pub fn claim_next_job(&self) -> Result<Option<(RenderJob, VariantPlan)>> {
        let id: Option<i64> = self
            .db
            .opt(
                "UPDATE render_jobs SET state = 'running', attempts = attempts + 1, progress = 0, fps = NULL,
                     eta_s = NULL, error = NULL, started_at = {now}, finished_at = NULL
                 WHERE id = (SELECT id FROM render_jobs WHERE state = 'queued' ORDER BY id LIMIT 1)
                 RETURNING id",
                args![],
            )?
            .map(|r| r.get(0))
            .transpose()?;
        let Some(id) = id else { return Ok(None) };
        let job = self.job(id)?;
        let plan =
            self.variant_plan(job.variant_id)?.ok_or(EngineError::NotFound { what: "variant", id: job.variant_id })?;
        Ok(Some((job, plan)))
    }

    pub fn record_progress(&self, id: i64, p: &Progress) -> Result<()> {
        self.db.execute(
            "UPDATE render_jobs SET progress = ?2, fps = ?3, eta_s = ?4 WHERE id = ?1 AND state = 'running'",
            args![id, p.percent, p.fps, p.eta_seconds],
        )?;
        Ok(())
    }

    /// Marks a job done; the outcome's file is already complete and renamed.
    /// A new output sends an approved variant back to draft (schema trigger),
    /// which the audit trail records.
    pub fn finish_job(&mut self, id: i64, outcome: &RenderOutcome) -> Result<()> {
        let (output, cover) = (self.portable_path(&outcome.output), self.portable_path(&outcome.cover));
        self.db.write(|tx| {
            let r = tx.row(
                "SELECT v.id, v.review_state FROM render_jobs j JOIN variants v ON v.id = j.variant_id WHERE j.id = ?1",
                args![id],
            )?;
            let (variant_id, before): (i64, String) = (r.get(0)?, r.get(1)?);
            tx.execute(
                "UPDATE render_jobs SET state = 'done', progress = 100, eta_s = 0, output_path = ?2, cover_path = ?3,
                     size_bytes = ?4, sha256 = ?5, method = ?6, encoder = ?7, finished_at = {now} WHERE id = ?1",
                args![
                    id,
                    output,
                    cover,
                    i64::try_from(outcome.size_bytes).unwrap_or(i64::MAX),
                    outcome.sha256,
                    notice_json(outcome.method.as_ref()),
                    notice_json(outcome.encoder.as_ref())
                ],
            )?;
            if before == "approved" || before == "in_review" {
                super::audit::append(
                    tx,
                    &super::audit::AuditRecord {
                        actor: "system",
                        action: "review_reset",
                        entity: "variant",
                        entity_id: Some(variant_id),
                        detail: serde_json::json!({ "from": before, "to": "draft", "reason": "a new render replaced the output", "job": id }),
                        after_hash: Some(&outcome.sha256),
                        ..Default::default()
                    },
                )?;
            }
            Ok(())
        })
    }

    /// Marks a running job failed or cancelled, keeping the error text.
    pub fn end_job(&self, id: i64, state: JobState, error: Option<&Notice>) -> Result<()> {
        self.db.execute(
            "UPDATE render_jobs SET state = ?2, error = ?3, eta_s = NULL, finished_at = {now} WHERE id = ?1",
            args![id, state.as_str(), notice_json(error)],
        )?;
        Ok(())
    }

    /// Cancels a queued job at once; asks a running one's worker to stop.
    pub fn request_cancel(&self, id: i64) -> Result<JobState> {
        let job = self.job(id)?;
        match job.state {
            JobState::Queued => self.end_job(
                id,
                JobState::Cancelled,
                Some(&Notice::new("job.cancelled_before_start", "cancelled before it started")),
            )?,
            JobState::Running => {
                self.db.execute("UPDATE render_jobs SET cancel_requested = 1 WHERE id = ?1", args![id])?;
            }
            _ => {}
        }
        Ok(self.job(id)?.state)
    }

    pub fn cancel_requested(&self, id: i64) -> Result<bool> {
        self.db.row("SELECT cancel_requested FROM render_jobs WHERE id = ?1", args![id])?.get(0)
    }

    /// Puts a failed or cancelled job back in the queue.
    pub fn retry_job(&self, id: i64) -> Result<()> {
        let changed = self.db.execute(
            "UPDATE render_jobs SET state = 'queued', cancel_requested = 0, progress = 0, error = NULL
             WHERE id = ?1 AND state IN ('failed', 'cancelled')",
            args![id],
        )?;
        if changed == 0 {
            let job = self.job(id)?;
            return Err(EngineError::Refused(
                Notice::new(
                    "job.not_retryable",
                    format!("job {id} is {}; only failed or cancelled jobs can be retried", job.state.as_str()),
                )
                .with("job", id),
            ));
        }
        Ok(())
    }

    /// After a crash: every job left `running` goes back to `queued`. The
    /// caller removes their partial files (it holds the plans' paths).
    pub fn requeue_interrupted(&self) -> Result<Vec<(RenderJob, VariantPlan)>> {
        let sql = format!(
            "SELECT {JOB_COLUMNS} FROM render_jobs j JOIN variants v ON v.id = j.variant_id WHERE j.state = 'running'"
        );
        let jobs: Vec<RenderJob> =
            self.db.query(&sql, args![])?.iter().map(|r| job_from_row(self.data_dir(), r)).collect::<Result<_>>()?;
        let mut out = Vec::new();
        for job in jobs {
            self.db.execute(
                "UPDATE render_jobs SET state = 'queued', progress = 0, fps = NULL, eta_s = NULL, cancel_requested = 0 WHERE id = ?1",
                args![job.id],
            )?;
            if let Some(plan) = self.variant_plan(job.variant_id)? {
                out.push((job, plan));
            }
        }
        Ok(out)
    }
}
