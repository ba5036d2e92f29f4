//! Helpers for the end-to-end tests: generated masters (ffmpeg's lavfi
//! sources), ffprobe facts, raw frames for pixel checks, and a studio whose
//! profiles encode with `superfast` so the suite stays quick.

#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod pg;
pub mod window;
pub mod wine;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;
use studio_engine::plan::{PlanRequest, VariantPlan};
use studio_engine::queue::{Silent, run_queue};
use studio_engine::render::CancelToken;
use studio_engine::store::RenderJob;
use studio_engine::{Studio, StudioConfig};

/// A master to generate.
#[derive(Debug, Clone)]
pub struct Master {
    pub seconds: f64,
    pub size: (u32, u32),
    pub rate: &'static str,
    pub audio: bool,
    /// Clockwise display rotation tag (phone video).
    pub rotate: Option<u32>,
    /// Moov atom at the end (as cameras write), for truncation tests.
    pub faststart: bool,
}

impl Default for Master {
    fn default() -> Self {
        Self { seconds: 20.0, size: (640, 360), rate: "30", audio: true, rotate: None, faststart: true }
    }
}

fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y"])
        .args(args)
        .output()
        .expect("ffmpeg runs");
    assert!(out.status.success(), "ffmpeg {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
}

/// Writes `m` to `path` with testsrc2 (+ a sine tone).
pub fn make_master(path: &Path, m: &Master) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let video = format!("testsrc2=size={}x{}:rate={}", m.size.0, m.size.1, m.rate);
    let t = format!("{}", m.seconds);
    let p = path.to_str().unwrap();
    let mut args = vec!["-f", "lavfi", "-i", &video];
    if m.audio {
        args.extend(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"]);
    }
    args.extend(["-t", &t, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]);
    if m.audio {
        args.extend(["-c:a", "aac"]);
    }
    if m.faststart {
        args.extend(["-movflags", "+faststart"]);
    }
    let rotated = path.with_extension("unrotated.mp4");
    match m.rotate {
        None => {
            args.push(p);
            ffmpeg(&args);
        }
        Some(deg) => {
            args.push(rotated.to_str().unwrap());
            ffmpeg(&args);
            let tag = format!("rotate={deg}");
            ffmpeg(&["-i", rotated.to_str().unwrap(), "-c", "copy", "-metadata:s:v:0", &tag, p]);
            std::fs::remove_file(rotated).unwrap();
        }
    }
}

/// A full version at 640x360 (so the tests encode little), start-end disclaimer:
/// the shipped Bilibili profile with a smaller frame.
pub fn full_small_profile(data: &Path) {
    let bilibili =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/platforms/bilibili.toml"))
            .unwrap()
            .replace("id = \"bilibili\"", "id = \"full-small\"")
            .replace("width = 1920\nheight = 1080", "width = 640\nheight = 360")
            .replace("\"veryfast\"", "\"superfast\"")
            .replace("top = 60\nbottom = 120\nleft = 60\nright = 60", "top = 20\nbottom = 40\nleft = 20\nright = 20");
    assert!(bilibili.contains("width = 640") && bilibili.contains("disclaimer_at"), "{bilibili}");
    std::fs::create_dir_all(data.join("platforms")).unwrap();
    std::fs::write(data.join("platforms/full-small.toml"), bilibili).unwrap();
}

/// A recording as an OBS or a camera writes it: x264 with B-frames, closed
/// GOPs, a keyframe every `gop_seconds`.
pub fn recorded_master(path: &Path, seconds: f64, size: (u32, u32), gop_seconds: u32, audio: bool) {
    recorded_master_at(path, seconds, size, "30", gop_seconds, audio);
}

/// [`recorded_master`] at another frame rate (`30000/1001`, `25`).
pub fn recorded_master_at(path: &Path, seconds: f64, size: (u32, u32), rate: &str, gop_seconds: u32, audio: bool) {
    let video = format!("testsrc2=size={}x{}:rate={rate}", size.0, size.1);
    let fps = rate
        .split_once('/')
        .map_or_else(|| rate.parse::<f64>().unwrap(), |(n, d)| n.parse::<f64>().unwrap() / d.parse::<f64>().unwrap());
    let gop = ((f64::from(gop_seconds) * fps).round() as u32).to_string();
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "lavfi", "-i", &video]);
    if audio {
        cmd.args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"]);
    }
    cmd.args(["-t", &seconds.to_string(), "-c:v", "libx264", "-preset", "superfast", "-bf", "3", "-g", &gop]);
    cmd.args(["-keyint_min", &gop, "-sc_threshold", "0", "-pix_fmt", "yuv420p"]);
    if audio {
        cmd.args(["-c:a", "aac", "-ac", "2", "-b:a", "128k"]);
    }
    let out = cmd.arg(path).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// (pts, md5) of every decoded video frame.
pub fn framemd5(path: &Path) -> Vec<(i64, String)> {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-i"])
        .arg(path)
        .args(["-map", "0:v:0", "-f", "framemd5", "-"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split(',').map(str::trim).collect();
            (f[2].parse().unwrap(), f[5].to_owned())
        })
        .collect()
}

/// ffmpeg decodes the whole file without one error line.
pub fn decodes_cleanly(path: &Path) {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-i"])
        .arg(path)
        .args(["-f", "null", "-"])
        .output()
        .unwrap();
    assert!(out.status.success() && out.stderr.is_empty(), "decode errors: {}", String::from_utf8_lossy(&out.stderr));
}

/// ffprobe's JSON for a file.
pub fn ffprobe(path: &Path) -> Value {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-print_format", "json", "-show_format", "-show_streams"])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "ffprobe {}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The first stream of a kind.
pub fn stream<'a>(probe: &'a Value, kind: &str) -> Option<&'a Value> {
    probe["streams"].as_array().unwrap().iter().find(|s| s["codec_type"] == kind)
}

pub fn num(v: &Value) -> f64 {
    v.as_str().map_or_else(|| v.as_f64().unwrap(), |s| s.parse().unwrap())
}

/// True when the MP4's `moov` box comes before `mdat` (`+faststart`).
pub fn moov_before_mdat(path: &Path) -> bool {
    let data = std::fs::read(path).unwrap();
    let mut at = 0usize;
    while at + 8 <= data.len() {
        let size = u32::from_be_bytes(data[at..at + 4].try_into().unwrap()) as usize;
        match &data[at + 4..at + 8] {
            b"moov" => return true,
            b"mdat" => return false,
            _ => {}
        }
        if size < 8 {
            return false;
        }
        at += size;
    }
    false
}

/// One frame at `t` seconds as RGB24 bytes, with its size.
pub fn frame_rgb(path: &Path, t: f64) -> (Vec<u8>, u32, u32) {
    let probe = ffprobe(path);
    let v = stream(&probe, "video").unwrap();
    let (w, h) = (v["width"].as_u64().unwrap() as u32, v["height"].as_u64().unwrap() as u32);
    // No seek at 0: the image demuxer then gives no frame of a JPEG.
    let seek = if t > 0.0 { vec!["-ss".to_owned(), format!("{t}")] } else { Vec::new() };
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin"])
        .args(seek)
        .arg("-i")
        .arg(path)
        .args(["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    assert_eq!(out.stdout.len(), (w * h * 3) as usize, "one {w}x{h} frame from {}", path.display());
    (out.stdout, w, h)
}

/// Mean absolute difference of two RGB frames inside a rectangle.
pub fn mean_diff(a: &[u8], b: &[u8], width: u32, (x, y, w, h): (u32, u32, u32, u32)) -> f64 {
    let mut sum = 0u64;
    for row in y..y + h {
        for col in x..x + w {
            let i = ((row * width + col) * 3) as usize;
            for c in 0..3 {
                sum += u64::from(a[i + c].abs_diff(b[i + c]));
            }
        }
    }
    sum as f64 / f64::from(w * h * 3)
}

/// A studio in `data_dir` whose shipped profiles encode with `superfast`
/// (through the user-profile override folder, as a user would do it).
pub fn fast_studio(data_dir: &Path) -> Studio {
    write_fast_profiles(data_dir);
    Studio::open(StudioConfig::new(data_dir.to_owned())).unwrap()
}

/// Puts the `superfast` profiles of [`fast_studio`] into a data folder that
/// another program (the Windows build) will open.
pub fn write_fast_profiles(data_dir: &Path) {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/platforms");
    let user = data_dir.join("platforms");
    std::fs::create_dir_all(&user).unwrap();
    for entry in std::fs::read_dir(shipped).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap().replace("\"veryfast\"", "\"superfast\"");
        std::fs::write(user.join(path.file_name().unwrap()), text).unwrap();
    }
}

/// The usual request: a clip from `start` with the `risk-zh` disclaimer.
pub fn request(studio: &Studio, start: Option<f64>) -> PlanRequest {
    PlanRequest {
        start,
        disclaimer: Some(studio.disclaimer(Some("risk-zh"), None, None, None).unwrap()),
        ..PlanRequest::default()
    }
}

/// Probes, plans, queues and renders `platforms`; returns plans and jobs.
pub fn render(
    studio: &Studio,
    master: &Path,
    platforms: &[&str],
    request: &PlanRequest,
    out: &Path,
) -> (Vec<VariantPlan>, Vec<RenderJob>) {
    let media = studio.probe(master).unwrap();
    let plans: Vec<_> = platforms.iter().map(|p| studio.plan(&media, p, request, out).unwrap()).collect();
    studio.enqueue("tests", &media, &plans).unwrap();
    let jobs = run_queue(studio, &Silent, &CancelToken::default()).unwrap();
    for job in &jobs {
        assert!(job.error.is_none(), "job {} failed: {:?}", job.id, job.error);
    }
    (plans, jobs)
}

/// Asserts an output is what a platform takes: size, codecs, pixel format,
/// stereo AAC, `moov` first; returns its duration in seconds.
pub fn assert_platform_mp4(path: &Path, (w, h): (u32, u32)) -> f64 {
    let probe = ffprobe(path);
    let v = stream(&probe, "video").expect("a video stream");
    assert_eq!(
        (v["width"].as_u64().unwrap(), v["height"].as_u64().unwrap()),
        (u64::from(w), u64::from(h)),
        "{}",
        path.display()
    );
    assert_eq!(v["codec_name"], "h264");
    assert_eq!(v["profile"], "High");
    assert_eq!(v["pix_fmt"], "yuv420p");
    assert_eq!(v["r_frame_rate"], "30/1");
    assert_eq!(v["avg_frame_rate"], "30/1", "constant frame rate");
    assert!(v.get("side_data_list").is_none(), "no rotation left on the output: {v}");
    let a = stream(&probe, "audio").expect("an audio stream");
    assert_eq!(a["codec_name"], "aac");
    assert_eq!(a["profile"], "LC");
    assert_eq!(a["channels"], 2);
    assert_eq!(a["sample_rate"], "48000");
    assert!(moov_before_mdat(path), "moov before mdat in {}", path.display());
    num(&probe["format"]["duration"])
}

/// Asserts `actual` is within one 30 fps frame of `expected`.
pub fn assert_duration(actual: f64, expected: f64) {
    assert!((actual - expected).abs() <= 1.0 / 30.0 + 1e-3, "duration {actual} s, expected {expected} s");
}

/// The `studio` binary (built on demand when only this crate is tested).
pub fn studio_bin() -> PathBuf {
    let target = std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().to_owned();
    let bin = target.join("studio");
    if !bin.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo).args(["build", "-p", "studio-engine", "--bin", "studio"]).status().unwrap();
        assert!(status.success());
    }
    bin
}

/// Pixel size of a JPEG/PNG via ffprobe.
pub fn image_size(path: &Path) -> (u64, u64) {
    let probe = ffprobe(path);
    let v = stream(&probe, "video").unwrap();
    (v["width"].as_u64().unwrap(), v["height"].as_u64().unwrap())
}

/// Polls `check` every 50 ms until it holds; panics after `seconds`.
pub fn wait_for(seconds: f64, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs_f64(seconds);
    while !check() {
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Pids of live processes whose command line mentions `needle`.
pub fn processes_mentioning(needle: &str) -> Vec<u32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else { continue };
        let status = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let zombie = status.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z'));
        if !zombie && String::from_utf8_lossy(&cmdline).contains(needle) {
            pids.push(pid);
        }
    }
    pids
}

/// `studio --data-dir DATA ARGS…` as a command.
/// Runs the CLI on `data` and returns its stdout; fails the test, with both streams, if it fails.
pub fn studio_ok(data: &Path, args: &[&str]) -> String {
    succeeded(studio_cmd(data, args).output().unwrap(), args)
}

/// The stdout of a `studio` run that must have succeeded; else the test fails showing both streams.
pub fn succeeded(out: std::process::Output, args: &[&str]) -> String {
    assert!(
        out.status.success(),
        "studio {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

pub fn studio_cmd(data: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(studio_bin());
    cmd.arg("--data-dir").arg(data).args(args);
    if std::env::var_os("STUDIO_LOG_DIR").is_none() {
        // Each test's logs beside its data, not in this user's log folder.
        cmd.env("STUDIO_LOG_DIR", data.with_extension("logs"));
    }
    cmd
}
