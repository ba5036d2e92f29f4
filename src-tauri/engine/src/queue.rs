//! The job runner: takes queued render jobs from the store and runs them,
//! at most `max_parallel_jobs` ffmpeg processes at a time.
//!
//! One runner per data folder (a file lock), so crash recovery — putting
//! `running` jobs back in the queue and deleting their partial files — never
//! touches jobs another live process is rendering.

use std::fs::{File, TryLockError};
use std::time::{Duration, Instant};

use crate::error::{EngineError, Result};
use crate::render::{CancelToken, Progress, remove_partials, render_variant};
use crate::store::{JobState, RenderJob, Store};
use crate::studio::Studio;

/// What the runner reports; the CLI draws bars, the app forwards events.
pub trait JobEvents: Sync {
    fn started(&self, _job: &RenderJob) {}
    fn progress(&self, _job_id: i64, _progress: &Progress) {}
    fn finished(&self, _job: &RenderJob) {}
}

/// Reports nothing.
#[derive(Debug, Default)]
pub struct Silent;
impl JobEvents for Silent {}

/// How often progress is written to the database and a cancel request read.
const DB_POLL: Duration = Duration::from_millis(500);

/// Holds the data folder's runner lock; released on drop.
#[derive(Debug)]
pub struct RunnerLock {
    _file: File,
}

impl RunnerLock {
    /// Takes the lock or fails with [`EngineError::Busy`].
    pub fn acquire(studio: &Studio) -> Result<Self> {
        let path = studio.data_dir().join("runner.lock");
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| EngineError::io(format!("opening {}", path.display()), e))?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: file }),
            Err(TryLockError::WouldBlock) => Err(EngineError::Busy { data_dir: studio.data_dir().to_owned() }),
            Err(TryLockError::Error(e)) => Err(EngineError::io(format!("locking {}", path.display()), e)),
        }
    }
}

/// Puts jobs a crashed run left `running` back in the queue and deletes
/// their partial files. Needs the runner lock, so no live render is touched.
pub fn recover(store: &Store, _lock: &RunnerLock) -> Result<Vec<RenderJob>> {
    let interrupted = store.requeue_interrupted()?;
    for (job, plan) in &interrupted {
        tracing::warn!(job = job.id, "job was interrupted; queued again");
        remove_partials(plan);
    }
    Ok(interrupted.into_iter().map(|(job, _)| job).collect())
}

/// Recovers, then runs queued jobs until none are left (or `cancel`).
/// Returns the jobs it ran, in their final state.
pub fn run_queue(studio: &Studio, events: &dyn JobEvents, cancel: &CancelToken) -> Result<Vec<RenderJob>> {
    let lock = RunnerLock::acquire(studio)?;
    recover(&studio.store()?, &lock)?;
    let workers = studio.config().max_parallel_jobs.max(1);
    let results = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers).map(|_| scope.spawn(|| worker(studio, events, cancel))).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(EngineError::internal("a render worker crashed"))))
            .collect::<Vec<_>>()
    });
    let mut ran = Vec::new();
    for r in results {
        ran.extend(r?);
    }
    ran.sort_by_key(|j| j.id);
    drop(lock);
    Ok(ran)
}

fn worker(studio: &Studio, events: &dyn JobEvents, cancel: &CancelToken) -> Result<Vec<RenderJob>> {
    let mut store = studio.store()?;
    let mut ran = Vec::new();
    while !cancel.is_cancelled() {
        let Some((job, plan)) = store.claim_next_job()? else {
            break;
        };
        events.started(&job);
        let job_cancel = cancel.child();
        let mut last_poll = Instant::now();
        let mut on_progress = |p: Progress| {
            events.progress(job.id, &p);
            if last_poll.elapsed() >= DB_POLL {
                last_poll = Instant::now();
                if let Err(e) = store.record_progress(job.id, &p) {
                    tracing::warn!(error = %e, "could not record progress");
                }
                if store.cancel_requested(job.id).unwrap_or(false) {
                    job_cancel.cancel();
                }
            }
        };
        match render_variant(studio.tools(), &plan, &mut on_progress, &job_cancel) {
            Ok(outcome) => store.finish_job(job.id, &outcome)?,
            Err(EngineError::Cancelled) => store.end_job(
                job.id,
                JobState::Cancelled,
                Some(&crate::message::Notice::new("job.cancelled", "cancelled by the user")),
            )?,
            Err(e) => {
                tracing::error!(job = job.id, code = e.code(), error = %e, "render failed");
                // The code stays in the English text, for logs and support.
                let mut why = e.notice();
                why.text = format!("[{}] {e}", e.code());
                store.end_job(job.id, JobState::Failed, Some(&why))?;
            }
        }
        let done = store.job(job.id)?;
        events.finished(&done);
        ran.push(done);
    }
    Ok(ran)
}
