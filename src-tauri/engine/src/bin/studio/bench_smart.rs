//! `studio bench --smart`: the full Bilibili version of a recorded-style
//! 1080p30 master (H.264 with B-frames, a keyframe every 2 s) with a
//! start-end disclaimer, smart-rendered and then re-encoded in full, in one
//! run; and how many of the smart output's frames are the master's own.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use studio_engine::disclaimer::{Disclaimer, DisclaimerPolicy};
use studio_engine::plan::smart::RenderMethod;
use studio_engine::plan::{PlanRequest, VariantPlan};
use studio_engine::queue::{Silent, run_queue};
use studio_engine::render::CancelToken;
use studio_engine::{EngineError, Result, Studio};

pub fn smart(base: &Studio, minutes: f64, out: &Path) -> Result<()> {
    base.tools().check()?;
    let seconds = (minutes * 60.0).max(60.0);
    std::fs::create_dir_all(out).map_err(|e| EngineError::io("creating the benchmark folder", e))?;
    let master = out.join(format!("recorded-{seconds:.0}s.mp4"));
    if !master.exists() {
        eprintln!(
            "generating {} ({seconds:.0} s, 1920x1080, x264 with B-frames, keyframe every 2 s)…",
            master.display()
        );
        generate(base, seconds, &master)?;
    }

    eprintln!("smart render…");
    let (t_smart, plan, job_method, smart_out) = render(base, &out.join("data-smart"), &master, true, None)?;
    let Some(RenderMethod::Smart(s)) = &plan.method else {
        return Err(EngineError::InvalidArgument(format!(
            "the master was not smart-rendered: {}",
            plan.method.as_ref().map_or_else(String::new, RenderMethod::summary)
        )));
    };
    // The profile's reminders every 10 minutes are a window each: the same
    // render with the start and end windows only shows what they cost.
    eprintln!("smart render, start and end windows only…");
    let two = Some(DisclaimerPolicy::StartEnd { every: None });
    let (t_two, plan_two, method_two, _) = render(base, &out.join("data-smart-two"), &master, true, two)?;
    eprintln!("full re-encode…");
    let (t_full, _, _, full_out) = render(base, &out.join("data-full"), &master, false, None)?;

    eprintln!("comparing frames…");
    let (got, want) = (frame_hashes(base, &smart_out)?, frame_hashes(base, &master)?);
    let whole = frame_times(base, &full_out)?;
    let frame = 1.0 / 30.0;
    let outside: Vec<usize> = (0..want.len())
        .filter(|i| {
            let t = s.first_pts + *i as f64 * frame;
            !s.reencoded.iter().any(|r| t >= r.start - frame / 2.0 && t < r.end - frame / 2.0)
        })
        .collect();
    let identical = outside.iter().filter(|i| got.get(**i) == want.get(**i)).count();
    let same_times = frame_times(base, &smart_out)? == whole;

    println!(
        "Smart render benchmark (wall time, this machine: {} cores)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let timing = plan.overlay.as_ref().map_or(0, |o| o.on_screen(plan.duration).len());
    println!(
        "master: {seconds:.0} s 1080p30 H.264, keyframe every 2 s; Bilibili full version, disclaimer in {timing} windows"
    );
    println!("  {}", job_method.unwrap_or_default());
    println!("  smart render                 {t_smart:9.2} s");
    println!("  full re-encode               {t_full:9.2} s   full/smart = {:.1}", t_full / t_smart);
    let two_windows = plan_two.overlay.as_ref().map_or(0, |o| o.on_screen(plan_two.duration).len());
    println!("  with {two_windows} windows (start and end only): {}", method_two.unwrap_or_default());
    println!("  smart render                 {t_two:9.2} s   full/smart = {:.1}", t_full / t_two);
    println!(
        "  frames: {} in the master, {} in the smart output, {} in the full one (timestamps {})",
        want.len(),
        got.len(),
        whole.len(),
        if same_times { "equal" } else { "DIFFER" }
    );
    println!("  outside the re-encoded GOPs: {identical} of {} frames bit-identical to the master's", outside.len());
    Ok(())
}

fn generate(base: &Studio, seconds: f64, path: &Path) -> Result<()> {
    let status = Command::new(&base.tools().ffmpeg)
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y"])
        .args([
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=1920x1080:rate=30",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=48000",
        ])
        .args(["-t", &format!("{seconds:.3}"), "-c:v", "libx264", "-preset", "superfast", "-bf", "3", "-g", "60"])
        .args(["-keyint_min", "60", "-sc_threshold", "0", "-crf", "23", "-maxrate", "8M", "-bufsize", "16M"])
        .args(["-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", "-ac", "2", "-movflags", "+faststart"])
        .arg(path)
        .status()
        .map_err(|e| EngineError::io("running ffmpeg", e))?;
    if !status.success() {
        return Err(EngineError::InvalidArgument(format!("generating {} failed", path.display())));
    }
    Ok(())
}

fn render(
    base: &Studio,
    data: &Path,
    master: &Path,
    smart: bool,
    at: Option<DisclaimerPolicy>,
) -> Result<(f64, VariantPlan, Option<String>, std::path::PathBuf)> {
    let t = Instant::now();
    let studio = crate::bench::fresh_studio(base, data, smart)?;
    let media = studio.probe(master)?;
    let request = PlanRequest {
        disclaimer: Some(Disclaimer { at, ..studio.disclaimer(Some("risk-zh"), None, None, None)? }),
        ..PlanRequest::default()
    };
    let plan = studio.plan(&media, "bilibili", &request, &data.join("out"))?;
    studio.enqueue("bench", &media, std::slice::from_ref(&plan))?;
    let jobs = run_queue(&studio, &Silent, &CancelToken::default())?;
    let job = jobs.into_iter().last().ok_or_else(|| EngineError::InvalidArgument("no job ran".into()))?;
    if let Some(e) = &job.error {
        return Err(EngineError::InvalidArgument(format!("benchmark render failed: {e}")));
    }
    Ok((t.elapsed().as_secs_f64(), plan, job.method.map(|m| m.text), job.output_path))
}

/// (pts, hash) of every decoded video frame. MurmurHash3 (128 bits), not
/// MD5: an hour is 108,000 frames of 3 MB, which MD5 alone takes minutes
/// over, and telling equal pictures from unequal ones needs no
/// cryptographic hash.
fn frame_hashes(base: &Studio, path: &Path) -> Result<Vec<(String, String)>> {
    let out = Command::new(&base.tools().ffmpeg)
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-i"])
        .arg(path)
        .args(["-map", "0:v:0", "-f", "framehash", "-hash", "murmur3", "-"])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| EngineError::io("running ffmpeg", e))?;
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').map(str::trim).collect();
            Some((f.get(2)?.to_string(), f.get(5)?.to_string()))
        })
        .collect())
}

/// Presentation times of the video's frames, in order, to a tenth of a
/// millisecond (the two files' time bases differ): a constant-rate file's
/// packets are its frames, so no decoding is needed.
fn frame_times(base: &Studio, path: &Path) -> Result<Vec<String>> {
    let out = Command::new(&base.tools().ffprobe)
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time", "-of", "csv=p=0"])
        .arg(path)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| EngineError::io("running ffprobe", e))?;
    let mut times: Vec<f64> =
        String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| l.trim().parse().ok()).collect();
    times.sort_by(f64::total_cmp);
    Ok(times.iter().map(|t| format!("{t:.4}")).collect())
}
