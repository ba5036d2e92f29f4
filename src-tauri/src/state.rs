//! What the app holds while it runs: the engine, and the one render runner
//! whose progress goes to the window over a Channel.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use studio_engine::Studio;
use studio_engine::queue::{JobEvents, run_queue};
use studio_engine::render::{CancelToken, Progress};
use studio_engine::store::RenderJob;
use tauri::ipc::Channel;
use ts_rs::TS;

/// What the render queue tells the window.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobEvent {
    Started {
        job_id: i32,
    },
    Progress {
        job_id: i32,
        percent: f64,
        fps: f64,
        eta_seconds: Option<f64>,
    },
    Finished {
        job_id: i32,
        state: String,
        error: Option<String>,
    },
    /// The queue ran dry: every job of the batch is done, failed or cancelled.
    BatchDone {
        done: i32,
        failed: i32,
    },
}

/// Shared by every command through `tauri::State`.
pub struct AppState {
    pub studio: Arc<Studio>,
    /// Streams masters to the player; `None` if loopback could not be bound.
    pub media: Option<crate::media::MediaServer>,
    channel: Arc<Mutex<Option<Channel<JobEvent>>>>,
    running: Arc<AtomicBool>,
}

fn id32(id: i64) -> i32 {
    i32::try_from(id).unwrap_or(i32::MAX)
}

/// Forwards runner events; progress at most four times a second per job.
struct Forward {
    channel: Arc<Mutex<Option<Channel<JobEvent>>>>,
    last: Mutex<HashMap<i64, Instant>>,
}

impl Forward {
    fn send(&self, event: JobEvent) {
        if let Ok(guard) = self.channel.lock()
            && let Some(channel) = guard.as_ref()
        {
            let _ = channel.send(event);
        }
    }
}

impl JobEvents for Forward {
    fn started(&self, job: &RenderJob) {
        self.send(JobEvent::Started { job_id: id32(job.id) });
    }

    fn progress(&self, job_id: i64, p: &Progress) {
        if let Ok(mut last) = self.last.lock() {
            let now = Instant::now();
            if last.get(&job_id).is_some_and(|t| now.duration_since(*t) < Duration::from_millis(250)) {
                return;
            }
            last.insert(job_id, now);
        }
        self.send(JobEvent::Progress {
            job_id: id32(job_id),
            percent: p.percent,
            fps: p.fps,
            eta_seconds: p.eta_seconds,
        });
    }

    fn finished(&self, job: &RenderJob) {
        self.send(JobEvent::Finished {
            job_id: id32(job.id),
            state: job.state.as_str().to_owned(),
            error: job.error.clone(),
        });
    }
}

impl AppState {
    pub fn new(studio: Studio) -> Self {
        let media = crate::media::MediaServer::start()
            .map_err(|e| tracing::error!(error = %e, "no media server; the player will not play"))
            .ok();
        Self { studio: Arc::new(studio), media, channel: Arc::default(), running: Arc::default() }
    }

    /// The window's progress channel (a reload replaces it).
    pub fn watch(&self, channel: Channel<JobEvent>) {
        if let Ok(mut guard) = self.channel.lock() {
            *guard = Some(channel);
        }
    }

    /// Runs queued jobs on a background thread unless a runner is already at it.
    pub fn start_runner(&self) {
        if self.running.swap(true, Ordering::SeqCst) {
            return;
        }
        let studio = Arc::clone(&self.studio);
        let running = Arc::clone(&self.running);
        let events = Forward { channel: Arc::clone(&self.channel), last: Mutex::default() };
        std::thread::spawn(move || {
            let (mut done, mut failed) = (0, 0);
            // Jobs queued while a batch runs are taken by the same batch.
            loop {
                match run_queue(&studio, &events, &CancelToken::default()) {
                    Ok(ran) if ran.is_empty() => break,
                    Ok(ran) => {
                        done += ran.iter().filter(|j| j.state.as_str() == "done").count() as i32;
                        failed += ran.iter().filter(|j| j.state.as_str() != "done").count() as i32;
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "render runner stopped");
                        failed += 1;
                        break;
                    }
                }
            }
            running.store(false, Ordering::SeqCst);
            if done + failed > 0 {
                events.send(JobEvent::BatchDone { done, failed });
            }
        });
    }
}
