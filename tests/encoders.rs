//! Hardware encoders on a machine that has none: a stand-in ffmpeg lists
//! NVENC, passes the detection's test encode, then fails the real job after
//! writing part of its output, so the render falls back to the real x264
//! and the job says why. And the real ffmpeg here: auto finds no hardware
//! encoder that works and x264 runs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use studio_e2e::*;

/// `dir/ffmpeg` (a shell script around the real one) and `dir/ffprobe` (the real one).
fn stand_in(dir: &Path) -> PathBuf {
    let which = |tool: &str| {
        let out = std::process::Command::new("sh").args(["-c", &format!("command -v {tool}")]).output().unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    let (ffmpeg, ffprobe) = (which("ffmpeg"), which("ffprobe"));
    std::fs::create_dir_all(dir).unwrap();
    let script = format!(
        r#"#!/bin/sh
# A stand-in for an ffmpeg build with an NVIDIA encoder whose card gives up.
echo "$*" >> "$(dirname "$0")/calls.log"
case " $* " in
  *" -encoders "*) "{ffmpeg}" "$@"; echo " V....D h264_nvenc           NVIDIA NVENC H.264 encoder (stand-in)"; exit 0 ;;
esac
case " $* " in
  *" h264_nvenc "*)
    case " $* " in *"color=black"*) exit 0 ;; esac
    for a in "$@"; do last="$a"; done
    printf 'half a video' > "${{last#file:}}"
    echo "[h264_nvenc @ 0x5580] [error] OpenEncodeSessionEx failed: out of memory (10)" >&2
    exit 1 ;;
esac
exec "{ffmpeg}" "$@"
"#
    );
    let path = dir.join("ffmpeg");
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::os::unix::fs::symlink(ffprobe, dir.join("ffprobe")).unwrap();
    path
}

#[test]
fn a_hardware_encoder_that_fails_leaves_the_render_to_x264_and_the_job_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    write_fast_profiles(&data);
    let tools = dir.path().join("gpu ffmpeg");
    let ffmpeg = stand_in(&tools);
    let master = dir.path().join("talk.mp4");
    make_master(&master, &Master::default());
    let with = |args: &[&str]| {
        let mut all = vec!["--ffmpeg", ffmpeg.to_str().unwrap()];
        all.extend(args);
        studio_ok(&data, &all)
    };

    let plan = with(&["plan", master.to_str().unwrap(), "--platforms", "douyin"]);
    assert!(plan.contains("note: encoder: h264_nvenc (auto)"), "{plan}");
    assert!(plan.contains("-c:v h264_nvenc -preset p5 -rc vbr -cq 23 -b:v 0 -maxrate 8000k"), "{plan}");
    let found = std::fs::read_to_string(data.join("encoders.json")).unwrap();
    assert!(found.contains("h264_nvenc"), "{found}");

    let out = dir.path().join("out");
    let rendered = with(&["render", master.to_str().unwrap(), "--platforms", "douyin", "--out", out.to_str().unwrap()]);
    assert!(
        rendered.contains("encoder libx264 (h264_nvenc failed:") && rendered.contains("OpenEncodeSessionEx failed"),
        "{rendered}"
    );
    let video = out.join("talk.douyin.mp4");
    assert_duration(assert_platform_mp4(&video, (1080, 1920)), 15.0);
    let bytes = std::fs::read(&video).unwrap();
    assert!(bytes.windows(11).any(|w| w == b"x264 - core"), "x264 encoded the video");
    let jobs: serde_json::Value = serde_json::from_str(&with(&["--json", "jobs"])).unwrap();
    // --json keeps the notice's code and parameters beside the English sentence.
    let encoder = &jobs[0]["encoder"];
    assert_eq!(encoder["code"], "job.encoder_fallback", "{encoder}");
    assert_eq!(
        (&encoder["params"]["encoder"], &encoder["params"]["hardware"]),
        (&"libx264".into(), &"h264_nvenc".into())
    );
    assert!(encoder["text"].as_str().unwrap().starts_with("libx264 (h264_nvenc failed:"), "{encoder}");

    // Found once: the list is kept for this ffmpeg.
    let calls = std::fs::read_to_string(tools.join("calls.log")).unwrap();
    assert_eq!(calls.lines().filter(|l| l.contains("-encoders")).count(), 1, "{calls}");

    let plan = with(&["--encoder", "software", "plan", master.to_str().unwrap(), "--platforms", "douyin"]);
    assert!(plan.contains("note: encoder: libx264 (software)") && plan.contains("-c:v libx264"), "{plan}");
    let plan = with(&["--encoder", "h264_qsv", "plan", master.to_str().unwrap(), "--platforms", "douyin"]);
    assert!(plan.contains("note: encoder: libx264 (h264_qsv is not usable here)"), "{plan}");
    let bad = studio_cmd(&data, &["--encoder", "h265_magic", "plan", master.to_str().unwrap()]).output().unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("use auto, software or one of"));
}

#[test]
fn without_a_working_hardware_encoder_auto_renders_with_x264() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let master = dir.path().join("talk.mp4");
    make_master(&master, &Master::default());
    // Debian's ffmpeg lists NVENC and QSV; this machine has neither card.
    let plan = studio_ok(&data, &["plan", master.to_str().unwrap(), "--platforms", "douyin"]);
    assert!(plan.contains("note: encoder: libx264 (auto: no hardware encoder works here)"), "{plan}");
    assert!(plan.contains("-c:v libx264 -preset veryfast -crf 23"), "{plan}");
}
