//! Every bad input gets a clear, actionable error, or the correct output.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

use studio_e2e::*;
use studio_engine::{EngineError, Studio, StudioConfig};

fn probe_err(studio: &Studio, path: &Path) -> EngineError {
    studio.probe(path).expect_err("the probe must refuse this file")
}

#[test]
fn unusable_files_get_errors_that_say_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let studio = fast_studio(&dir.path().join("data"));

    let err = probe_err(&studio, &dir.path().join("nowhere.mp4"));
    assert_eq!(err.code(), "input_missing", "{err}");

    let empty = dir.path().join("empty.mp4");
    std::fs::write(&empty, b"").unwrap();
    let err = probe_err(&studio, &empty);
    assert_eq!(err.code(), "input_empty");
    assert!(err.to_string().contains("empty (0 bytes)"), "{err}");

    let text = dir.path().join("notes.mp4");
    std::fs::write(&text, "这不是视频 — just some notes\n".repeat(50)).unwrap();
    let err = probe_err(&studio, &text);
    assert_eq!(err.code(), "input_not_media", "{err}");
    assert!(err.to_string().contains("not a video or audio file"), "{err}");

    // A recording cut off before its index was written.
    let cut = dir.path().join("cut.mp4");
    make_master(&cut, &Master { seconds: 4.0, faststart: false, ..Master::default() });
    let bytes = std::fs::read(&cut).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let err = probe_err(&studio, &cut);
    assert_eq!(err.code(), "input_not_media", "{err}");
    assert!(err.to_string().contains("incomplete"), "{err}");

    let folder = dir.path().join("folder.mp4");
    std::fs::create_dir(&folder).unwrap();
    assert_eq!(probe_err(&studio, &folder).code(), "input_not_media");

    let audio_only = dir.path().join("voice.m4a");
    let s = Command::new("ffmpeg")
        .args(["-v", "error", "-f", "lavfi", "-i", "sine", "-t", "2"])
        .arg(&audio_only)
        .status()
        .unwrap();
    assert!(s.success());
    assert_eq!(probe_err(&studio, &audio_only).code(), "input_no_video");
}

#[test]
fn truncated_master_with_its_index_intact_is_not_passed_off_as_complete() {
    let dir = tempfile::tempdir().unwrap();
    let studio = fast_studio(&dir.path().join("data"));
    let master = dir.path().join("cut.mp4");
    make_master(&master, &Master { seconds: 12.0, ..Master::default() });
    let bytes = std::fs::read(&master).unwrap();
    std::fs::write(&master, &bytes[..bytes.len() / 2]).unwrap();
    let media = studio.probe(&master).unwrap();
    let plan = studio.plan(&media, "douyin", &request(&studio, None), &dir.path().join("out")).unwrap();
    studio.enqueue("t", &media, std::slice::from_ref(&plan)).unwrap();
    let jobs = studio_engine::queue::run_queue(&studio, &studio_engine::queue::Silent, &Default::default()).unwrap();
    let error = jobs[0].error.clone().map(|e| e.text).unwrap_or_default();
    assert_eq!(jobs[0].state, studio_engine::store::JobState::Failed);
    assert!(error.contains("render_incomplete") && error.contains("damaged or cut off"), "{error}");
    assert!(!plan.output.exists() && !studio_engine::render::partial_path(&plan.output).exists());
}

#[test]
fn master_without_audio_gets_a_silent_aac_track() {
    let dir = tempfile::tempdir().unwrap();
    let master = dir.path().join("silent.mp4");
    make_master(&master, &Master { seconds: 7.0, audio: false, ..Master::default() });
    let studio = fast_studio(&dir.path().join("data"));
    let (plans, jobs) = render(&studio, &master, &["douyin"], &request(&studio, None), &dir.path().join("out"));
    assert!(plans[0].silent_audio);
    assert!(plans[0].notes.iter().any(|n| n.text.contains("silent")));
    assert_duration(assert_platform_mp4(&jobs[0].output_path, (1080, 1920)), 7.0);
}

#[test]
fn odd_frame_rates_become_constant_30_fps() {
    let dir = tempfile::tempdir().unwrap();
    let studio = fast_studio(&dir.path().join("data"));
    for rate in ["30000/1001", "12.5"] {
        let master = dir.path().join(format!("r{}.mp4", rate.replace('/', "_")));
        make_master(&master, &Master { seconds: 17.0, rate, ..Master::default() });
        let (_, jobs) = render(&studio, &master, &["douyin"], &request(&studio, Some(1.0)), &dir.path().join("out"));
        assert_duration(assert_platform_mp4(&jobs[0].output_path, (1080, 1920)), 15.0);
    }
}

#[test]
fn odd_sized_master_gives_even_platform_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let master = dir.path().join("odd.mkv");
    let s = Command::new("ffmpeg")
        .args(["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30,scale=1279:719,format=yuv444p"])
        .args(["-f", "lavfi", "-i", "sine"])
        .args(["-t", "6", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv444p", "-c:a", "aac"])
        .arg(&master)
        .status()
        .unwrap();
    assert!(s.success());
    let studio = fast_studio(&dir.path().join("data"));
    let media = studio.probe(&master).unwrap();
    assert_eq!((media.video.width, media.video.height), (1279, 719));
    let (_, jobs) = render(&studio, &master, &["douyin", "bilibili"], &request(&studio, None), &dir.path().join("out"));
    assert_duration(assert_platform_mp4(&jobs[0].output_path, (1080, 1920)), 6.0);
    assert_duration(assert_platform_mp4(&jobs[1].output_path, (1920, 1080)), 6.0);
}

#[test]
fn rotated_phone_video_comes_out_upright() {
    let dir = tempfile::tempdir().unwrap();
    let studio = fast_studio(&dir.path().join("data"));
    // What the phone saw: a portrait picture.
    let upright = dir.path().join("upright.mp4");
    make_master(&upright, &Master { seconds: 6.0, size: (720, 1280), ..Master::default() });
    // What the phone stored: the picture turned on its side, with a display
    // rotation tag. This ffmpeg writes `rotate=90` as "turn 90° counter-
    // clockwise to show" (ffprobe: rotation=90), so the stored picture is the
    // upright one turned clockwise.
    let sideways_raw = dir.path().join("sideways-raw.mp4");
    let s = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&upright)
        .args(["-vf", "transpose=clock", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "copy"])
        .arg(&sideways_raw)
        .status()
        .unwrap();
    assert!(s.success());
    let phone = dir.path().join("phone.mp4");
    let s = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&sideways_raw)
        .args(["-c", "copy", "-metadata:s:v:0", "rotate=90"])
        .arg(&phone)
        .status()
        .unwrap();
    assert!(s.success());
    let premise = ffprobe(&phone);
    let matrix = &stream(&premise, "video").unwrap()["side_data_list"][0];
    assert_eq!(matrix["rotation"], 90, "premise: a display matrix turning the picture 90° counter-clockwise");

    let media = studio.probe(&phone).unwrap();
    assert_eq!((media.video.width, media.video.height), (1280, 720));
    assert_eq!((media.video.rotation, media.video.display_width, media.video.display_height), (270, 720, 1280));

    let no_text = studio_engine::plan::PlanRequest::default();
    let (_, from_phone) = render(&studio, &phone, &["douyin"], &no_text, &dir.path().join("a"));
    let (_, from_upright) = render(&studio, &upright, &["douyin"], &no_text, &dir.path().join("b"));
    assert_platform_mp4(&from_phone[0].output_path, (1080, 1920));
    let (a, w, h) = frame_rgb(&from_phone[0].output_path, 2.0);
    let (b, _, _) = frame_rgb(&from_upright[0].output_path, 2.0);
    let same = mean_diff(&a, &b, w, (0, 0, w, h));
    assert!(same < 6.0, "the phone video matches the upright picture (mean diff {same})");
    // And the check can fail: the upright picture against itself turned upside down.
    let flipped: Vec<u8> = b.chunks(3).rev().flatten().copied().collect();
    assert!(mean_diff(&a, &flipped, w, (0, 0, w, h)) > 20.0);
}

#[test]
fn master_shorter_than_the_clip_is_used_whole() {
    let dir = tempfile::tempdir().unwrap();
    let master = dir.path().join("short.mp4");
    make_master(&master, &Master { seconds: 8.0, ..Master::default() });
    let studio = fast_studio(&dir.path().join("data"));
    let (plans, jobs) = render(&studio, &master, &["douyin"], &request(&studio, Some(3.0)), &dir.path().join("out"));
    assert!(plans[0].notes.iter().any(|n| n.text.contains("whole master")), "{:?}", plans[0].notes);
    assert_duration(assert_platform_mp4(&jobs[0].output_path, (1080, 1920)), 8.0);
}

#[test]
fn awkward_paths_and_disclaimer_text_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("客户 资料/it's \"Q4\": 复盘");
    let master = folder.join("成片 'final': 100% v1.mp4");
    make_master(&master, &Master { seconds: 6.0, ..Master::default() });
    let out = dir.path().join("输出 'a': b");
    let data = dir.path().join("data: 'x'");
    let text = r"it's 100%: C:\tmp, 投资有风险";
    let run = Command::new(studio_bin())
        .arg("--data-dir")
        .arg(&data)
        .arg("render")
        .arg(&master)
        .args(["--platforms", "douyin", "--disclaimer-text", text, "--institution", "示例 'A': 证券%"])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let produced = out.join("成片 'final': 100% v1.douyin.mp4");
    assert_duration(assert_platform_mp4(&produced, (1080, 1920)), 6.0);
    assert!(out.join("成片 'final': 100% v1.douyin.cover.jpg").exists());

    let plan = Command::new(studio_bin())
        .arg("--data-dir")
        .arg(&data)
        .args(["--json", "plan"])
        .arg(&master)
        .args(["--platforms", "douyin", "--disclaimer-text", text])
        .output()
        .unwrap();
    assert!(plan.status.success());
    let plans: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
    assert_eq!(plans[0]["disclaimer_text"], text, "the text is kept literally");
}

#[test]
fn missing_ffmpeg_says_how_to_install_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = StudioConfig::new(dir.path().join("data"));
    config.ffmpeg = Some(dir.path().join("no-such/ffmpeg"));
    let studio = Studio::open(config).unwrap();
    let err = studio.tools().check().unwrap_err();
    assert_eq!(err.code(), "tool_missing");
    assert!(err.to_string().contains("apt-get install ffmpeg"), "{err}");
    let master = dir.path().join("m.mp4");
    make_master(&master, &Master { seconds: 2.0, ..Master::default() });
    assert_eq!(studio.probe(&master).unwrap_err().code(), "tool_missing");
}

#[test]
fn a_full_disk_fails_the_job_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let master = dir.path().join("m.mp4");
    make_master(&master, &Master { seconds: 10.0, ..Master::default() });
    let data = dir.path().join("data");
    fast_studio(&data);
    let out = dir.path().join("small-disk");
    std::fs::create_dir_all(&out).unwrap();
    let listing = dir.path().join("listing.txt");
    // A 1 MiB disk in a private mount namespace: real ENOSPC, no root needed.
    let script = r#"mount -t tmpfs -o size=1m tmpfs "$OUT" && "$STUDIO" --data-dir "$DATA" render "$MASTER" --platforms douyin --out "$OUT"; code=$?; ls -A "$OUT" > "$LISTING"; exit $code"#;
    let run = Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "sh", "-c", script])
        .env("OUT", &out)
        .env("STUDIO", studio_bin())
        .env("DATA", &data)
        .env("MASTER", &master)
        .env("LISTING", &listing)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(1), "the job fails: {stdout}{}", String::from_utf8_lossy(&run.stderr));
    assert!(stdout.contains("failed") && stdout.contains("disk is full"), "{stdout}");
    assert_eq!(std::fs::read_to_string(&listing).unwrap().trim(), "", "no partial file is left behind");
    let store = studio_engine::store::Store::open(&data.join("studio.db")).unwrap();
    let job = &store.jobs().unwrap()[0];
    assert_eq!(job.error.as_ref().map(|e| e.code.as_str()), Some("disk_full"), "{:?}", job.error);
    assert!(job.error.as_ref().is_some_and(|e| e.text.starts_with("[disk_full]")), "{:?}", job.error);
}

/// The CLI words its errors in the locale's language (`LANG`, or `--lang`
/// over it), names the file once, and `--json` keeps the code and parameters.
#[test]
fn the_cli_speaks_chinese_when_the_locale_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let empty = dir.path().join("空文件.mp4");
    std::fs::write(&empty, b"").unwrap();
    let run = |lang: &str, extra: &[&str]| {
        let mut cmd = studio_cmd(&data, &[extra, &["probe", empty.to_str().unwrap()]].concat());
        let out = cmd.env_remove("LC_ALL").env_remove("LC_MESSAGES").env("LANG", lang).output().unwrap();
        assert!(!out.status.success(), "an empty file is refused");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let zh = run("zh_CN.UTF-8", &[]);
    assert!(zh.contains("是空文件（0 字节）") && zh.matches("空文件.mp4").count() == 1, "{zh}");
    assert!(!zh.contains("is empty"), "{zh}");
    let en = run("C.UTF-8", &[]);
    assert!(en.contains("is empty (0 bytes)") && !en.contains("字节"), "{en}");
    assert!(run("zh_CN.UTF-8", &["--lang", "en"]).contains("is empty (0 bytes)"));
    assert!(run("C.UTF-8", &["--lang", "zh-CN"]).contains("是空文件（0 字节）"));
    let json = run("zh_CN.UTF-8", &["--json"]);
    let line = json.lines().find(|l| l.starts_with('{')).unwrap_or_else(|| panic!("no JSON error: {json}"));
    let value: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(value["error"]["code"], "input_empty", "{value}");
    assert_eq!(value["error"]["params"]["path"], empty.to_str().unwrap(), "{value}");
    assert!(value["error"]["message"].as_str().unwrap().contains("是空文件"), "{value}");
}
