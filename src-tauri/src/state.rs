//! What the app holds while it runs: the engine, and the one render runner
//! whose progress goes to the window over a Channel.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use serde::Serialize;
use studio_engine::machine::MachineSettings;
use studio_engine::queue::{JobEvents, run_queue};
use studio_engine::render::{CancelToken, Progress};
use studio_engine::store::RenderJob;
use studio_engine::{Studio, StudioConfig};
use tauri::ipc::Channel;
use ts_rs::TS;

use crate::error::{IpcError, NoticeView};

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
        error: Option<NoticeView>,
    },
    /// The queue ran dry: every job of the batch is done, failed or cancelled.
    BatchDone {
        done: i32,
        failed: i32,
    },
}

/// How the app started: the configuration before this machine's choices
/// (defaults and environment), the choices, and where they are kept.
pub struct Launch {
    pub base: StudioConfig,
    pub machine: MachineSettings,
    /// `None` when the OS has no config folder; choices then last one run.
    pub machine_path: Option<PathBuf>,
    /// Why the saved choices could not be read or used at start.
    pub problem: Option<String>,
    /// The team login's password, typed in Settings → 团队 this run (never saved).
    pub team_password: Option<String>,
}

/// Whether ffmpeg and ffprobe run. Starting both takes a quarter second, so
/// the check runs in the background from launch instead of when the window
/// first asks.
enum ToolCheck {
    Running(std::thread::JoinHandle<Option<String>>),
    Done(Option<String>),
}

fn check_tools(studio: &Studio) -> ToolCheck {
    let tools = studio.tools().clone();
    ToolCheck::Running(std::thread::spawn(move || tools.check().err().map(|e| e.to_string())))
}

/// Shared by every command through `tauri::State`.
pub struct AppState {
    /// Replaced whole when Settings changes the data folder, ffmpeg or fonts.
    studio: RwLock<Arc<Studio>>,
    launch: Mutex<Launch>,
    tool_check: Mutex<ToolCheck>,
    /// Streams masters to the player; `None` if loopback could not be bound.
    pub media: Option<crate::media::MediaServer>,
    channel: Arc<Mutex<Option<Channel<JobEvent>>>>,
    running: Arc<AtomicBool>,
    pub notifier: crate::notify::Notifier,
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
            error: job.error.clone().map(NoticeView::from),
        });
    }
}

impl AppState {
    pub fn new(studio: Studio, launch: Launch) -> Self {
        let media = crate::media::MediaServer::start()
            .map_err(|e| tracing::error!(error = %e, "no media server; the player will not play"))
            .ok();
        let studio = Arc::new(studio);
        // The first store use checks the database and may take the day's
        // snapshot; done off the main thread while the window loads.
        let warm = Arc::clone(&studio);
        std::thread::spawn(move || {
            if let Err(e) = warm.store() {
                tracing::warn!(code = e.code(), error = %e, "the database is not usable");
            }
        });
        Self {
            tool_check: Mutex::new(check_tools(&studio)),
            studio: RwLock::new(studio),
            launch: Mutex::new(launch),
            media,
            channel: Arc::default(),
            running: Arc::default(),
            notifier: crate::notify::Notifier::default(),
        }
    }

    /// The studio in use (a command holds it for its whole run).
    pub fn studio(&self) -> Arc<Studio> {
        let guard = self.studio.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(&guard)
    }

    /// Why ffmpeg cannot be used, if it cannot (waits for the launch check).
    pub fn ffmpeg_problem(&self) -> Option<String> {
        let mut check = self.tool_check.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let problem = match std::mem::replace(&mut *check, ToolCheck::Done(None)) {
            ToolCheck::Running(handle) => {
                handle.join().unwrap_or_else(|_| Some("the ffmpeg check stopped unexpectedly".into()))
            }
            ToolCheck::Done(problem) => problem,
        };
        *check = ToolCheck::Done(problem.clone());
        problem
    }

    /// This machine's saved choices, and why they could not be used at start.
    pub fn machine(&self) -> (MachineSettings, Option<String>) {
        let launch = self.launch.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        (launch.machine.clone(), launch.problem.clone())
    }

    /// Opens the studio `wanted` describes (its database too), saves the
    /// choices and switches every later command to it. Refused while renders
    /// run, so no job is left writing into a folder the app has moved away from.
    pub fn switch(&self, wanted: MachineSettings) -> Result<Arc<Studio>, IpcError> {
        self.refuse_while_rendering("settings", "change the data folder, ffmpeg, fonts or backups")?;
        let mut launch = self.launch.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut config = launch.base.clone();
        wanted.apply(&mut config);
        config.team_password.clone_from(&launch.team_password);
        let studio = Studio::open(config)?;
        studio.store()?;
        match &launch.machine_path {
            Some(path) => wanted.save(path)?,
            None => tracing::warn!("no config folder; the choices last until the app closes"),
        }
        *self.tool_check.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = check_tools(&studio);
        let studio = Arc::new(studio);
        *self.studio.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::clone(&studio);
        launch.machine = wanted;
        launch.problem = None;
        Ok(studio)
    }

    /// Joins a team database as `address` names it with `password` (kept
    /// for this run only), or leaves team mode when `address` is empty. The
    /// login is tried first; nothing is saved unless the server accepts it.
    pub fn switch_team(&self, address: &str, password: &str) -> Result<Arc<Studio>, IpcError> {
        let address = address.trim();
        let mut wanted = self.machine().0;
        wanted.team_database = (!address.is_empty()).then(|| address.to_owned());
        if let Some(url) = &wanted.team_database {
            studio_engine::team::check_url(url)?;
            let mut config = self.studio().config().clone();
            config.team_database = Some(url.clone());
            config.team_password = Some(password.to_owned()).filter(|p| !p.is_empty());
            let trial = Studio::open(config)?;
            trial.team()?;
        }
        let previous = {
            let mut launch = self.launch.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            std::mem::replace(&mut launch.team_password, Some(password.to_owned()).filter(|p| !p.is_empty()))
        };
        self.switch(wanted).inspect_err(|_| {
            self.launch.lock().unwrap_or_else(std::sync::PoisonError::into_inner).team_password = previous;
        })
    }

    /// `busy` while the runner works, naming what must wait.
    /// `action` names what waits in the catalogs (`busy_rendering.<action>`), `what` in English.
    pub fn refuse_while_rendering(&self, action: &str, what: &str) -> Result<(), IpcError> {
        if self.running.load(Ordering::SeqCst) {
            let n = studio_engine::message::Notice::new(
                &format!("busy_rendering.{action}"),
                format!("renders are running; let them finish or cancel them, then {what}"),
            );
            return Err(IpcError::from_notice("busy", n));
        }
        Ok(())
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
        let studio = self.studio();
        let running = Arc::clone(&self.running);
        let events = Forward { channel: Arc::clone(&self.channel), last: Mutex::default() };
        let notifier = self.notifier.clone();
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
                    // Not a job's failure (a damaged database, another runner):
                    // the log has it, the window shows the cause, the jobs stay queued.
                    Err(e) => {
                        tracing::error!(error = %e, code = e.code(), "render runner stopped");
                        break;
                    }
                }
            }
            running.store(false, Ordering::SeqCst);
            if done + failed > 0 {
                events.send(JobEvent::BatchDone { done, failed });
                notifier.batch_done(done, failed);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn switching_opens_the_new_folder_saves_the_choice_and_waits_for_renders() {
        let dir = tempfile::tempdir().unwrap();
        let base = StudioConfig::new(dir.path().join("first"));
        let machine_path = dir.path().join("config/machine.json");
        let launch = Launch {
            base: base.clone(),
            machine: MachineSettings::default(),
            machine_path: Some(machine_path.clone()),
            problem: Some("old".into()),
            team_password: None,
        };
        let state = AppState::new(Studio::open(base).unwrap(), launch);
        let second = dir.path().join("second 工作室");
        let wanted = MachineSettings { data_dir: Some(second.clone()), ..Default::default() };

        state.running.store(true, Ordering::SeqCst);
        assert_eq!(state.switch(wanted.clone()).err().unwrap().code, "busy");
        assert!(!machine_path.exists() && state.studio().data_dir() == dir.path().join("first"));

        state.running.store(false, Ordering::SeqCst);
        state.switch(wanted.clone()).unwrap();
        assert_eq!(state.studio().data_dir(), second);
        assert!(second.join("studio.db").is_file());
        assert_eq!(MachineSettings::load(&machine_path).unwrap(), wanted);
        assert_eq!(state.machine(), (wanted, None));

        // Back to the folder the app started on.
        state.switch(MachineSettings::default()).unwrap();
        assert_eq!(state.studio().data_dir(), dir.path().join("first"));
    }
}
