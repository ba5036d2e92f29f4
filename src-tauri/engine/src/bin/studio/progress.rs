//! Progress bars for the render queue.

use std::collections::HashMap;
use std::sync::Mutex;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use studio_engine::queue::JobEvents;
use studio_engine::render::Progress;
use studio_engine::store::RenderJob;

pub struct Bars {
    multi: MultiProgress,
    bars: Mutex<HashMap<i64, ProgressBar>>,
}

impl Bars {
    /// Hidden when printing JSON, so stdout stays machine-readable.
    pub fn new(hidden: bool) -> Self {
        let target = if hidden { ProgressDrawTarget::hidden() } else { ProgressDrawTarget::stderr() };
        Self { multi: MultiProgress::with_draw_target(target), bars: Mutex::default() }
    }

    pub fn finish(&self) {
        let _ = self.multi.clear();
    }
}

impl JobEvents for Bars {
    fn started(&self, job: &RenderJob) {
        let bar = self.multi.add(ProgressBar::new(1000));
        bar.set_style(
            ProgressStyle::with_template("{prefix:>14} [{bar:30}] {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_prefix(format!("#{} {}", job.id, job.platform));
        self.bars.lock().unwrap_or_else(|p| p.into_inner()).insert(job.id, bar);
    }

    fn progress(&self, job_id: i64, p: &Progress) {
        if let Some(bar) = self.bars.lock().unwrap_or_else(|p| p.into_inner()).get(&job_id) {
            bar.set_position((p.percent * 10.0) as u64);
            let eta = p.eta_seconds.map_or_else(String::new, |s| format!(", ETA {s:.0} s"));
            bar.set_message(format!("{:5.1}% {:5.1} fps{eta}", p.percent, p.fps));
        }
    }

    fn finished(&self, job: &RenderJob) {
        if let Some(bar) = self.bars.lock().unwrap_or_else(|p| p.into_inner()).remove(&job.id) {
            bar.finish_with_message(job.state.as_str().to_owned());
        }
    }
}
