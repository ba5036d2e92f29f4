//! Subtitles and burned-in captions with real ffmpeg: subtitle files as
//! captioning tools write them (each encoding, each irregularity) read or
//! refused by line through the CLI; captions checked in the pixels of the
//! rendered clip, frame by frame at a cue's edges, inside the safe zone and
//! clear of the disclaimer; cues re-timed across a two-segment clip into the
//! variant's `.srt`; a promise spoken in a cue blocking approval; and
//! `studio suggest` finding the one lively window planted in quiet minutes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Stdio};

use studio_e2e::*;
use studio_engine::plan::{PlanRequest, Segment, VariantPlan};

/// Cues of a talk: one before the Douyin clip (5–20 s), two inside it.
const TALK: &str = "1\n00:00:01,000 --> 00:00:03,000\n开场白\n\n2\n00:00:07,000 --> 00:00:09,500\n<b>投资有风险</b>，入市需谨慎\n\n3\n00:00:12,000 --> 00:00:14,000\n第二句 A&amp;B\n";

fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for unit in std::iter::once(0xFEFF).filter(|_| bom).chain(text.encode_utf16()) {
        out.extend(if big_endian { unit.to_be_bytes() } else { unit.to_le_bytes() });
    }
    out
}

/// Frames `numbers` of a video as RGB24, decoded in one pass.
fn frames(path: &Path, numbers: &[u64]) -> (Vec<Vec<u8>>, u32, u32) {
    let probe = ffprobe(path);
    let v = stream(&probe, "video").unwrap();
    let (w, h) = (v["width"].as_u64().unwrap() as u32, v["height"].as_u64().unwrap() as u32);
    let select = numbers.iter().map(|n| format!("eq(n\\,{n})")).collect::<Vec<_>>().join("+");
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-i"])
        .arg(path)
        .args(["-vf", &format!("select='{select}'"), "-vsync", "0", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    let size = (w * h * 3) as usize;
    assert_eq!(out.stdout.len(), size * numbers.len(), "{} frames of {}", numbers.len(), path.display());
    (out.stdout.chunks(size).map(<[u8]>::to_vec).collect(), w, h)
}

/// Share of pixels in a rectangle that differ a lot in some channel: a
/// caption's white text and black outline over the test picture, not the
/// encoder's noise.
fn changed(a: &[u8], b: &[u8], width: u32, (x, y, w, h): (u32, u32, u32, u32)) -> f64 {
    let mut count = 0u64;
    for row in y..y + h {
        for col in x..x + w {
            let i = ((row * width + col) * 3) as usize;
            if (0..3).any(|c| a[i + c].abs_diff(b[i + c]) > 60) {
                count += 1;
            }
        }
    }
    count as f64 / f64::from(w * h)
}

fn douyin_clip(dir: &Path, burn: bool) -> (VariantPlan, std::path::PathBuf) {
    let master = dir.join("talk.mp4");
    if !master.exists() {
        make_master(&master, &Master::default());
        std::fs::write(dir.join("talk.srt"), TALK).unwrap();
    }
    let studio = fast_studio(&dir.join("data"));
    let cues = studio_engine::subtitles::read(&dir.join("talk.srt")).unwrap().cues;
    let request = PlanRequest { cues, burn_captions: Some(burn), ..request(&studio, Some(5.0)) };
    let out = dir.join(if burn { "captioned" } else { "bare" });
    let (plans, jobs) = render(&studio, &master, &["douyin"], &request, &out);
    (plans[0].clone(), jobs[0].output_path.clone())
}

#[test]
fn captions_are_on_exactly_their_frames_inside_the_safe_zone_and_clear_of_the_disclaimer() {
    let dir = tempfile::tempdir().unwrap();
    let (plan, captioned) = douyin_clip(dir.path(), true);
    let (_, bare) = douyin_clip(dir.path(), false);
    assert_eq!(assert_platform_mp4(&captioned, (1080, 1920)), assert_platform_mp4(&bare, (1080, 1920)));

    let captions = plan.captions.as_ref().unwrap();
    assert_eq!(
        captions.cues.iter().map(|c| (c.number, c.start, c.end)).collect::<Vec<_>>(),
        vec![(2, 2.0, 4.5), (3, 7.0, 9.0)],
        "the cues inside 5–20 s, on the clip's clock"
    );
    let band = captions.band;
    let rect = (band.x, band.y, band.width, band.height);
    let overlay = plan.overlay.as_ref().unwrap();
    let plate = (overlay.x, overlay.y, overlay.source.width, overlay.source.height);
    let zone = studio_engine::platform::PlatformCatalog::load(None).unwrap().get("douyin").unwrap().safe_zone;
    assert!(band.x >= zone.left && band.x + band.width <= 1080 - zone.right, "{band:?}");
    assert!(band.y >= zone.top && band.y + band.height <= overlay.y, "above the disclaimer: {band:?} {plate:?}");

    // Cue 2 is on frames 60–134 (2.0 s ≤ t < 4.5 s at 30 fps), cue 3 on 210–269.
    let numbers = [59, 60, 97, 134, 135, 180, 209, 210, 269, 270];
    let (with, w, h) = frames(&captioned, &numbers);
    let (without, _, _) = frames(&bare, &numbers);
    let below_zone = (0, h - zone.bottom + 10, w, zone.bottom - 10);
    for (i, n) in numbers.iter().enumerate() {
        let in_band = changed(&with[i], &without[i], w, rect);
        let shown = matches!(n, 60..=134 | 210..=269);
        if shown {
            assert!(in_band > 0.02, "frame {n}: the caption is drawn ({:.2} % of the band changed)", in_band * 100.0);
        } else {
            assert!(in_band < 0.002, "frame {n}: no caption ({:.2} % of the band changed)", in_band * 100.0);
        }
        let on_plate = changed(&with[i], &without[i], w, plate);
        assert!(on_plate < 0.002, "frame {n}: the disclaimer plate is untouched ({:.2} %)", on_plate * 100.0);
        let outside = changed(&with[i], &without[i], w, below_zone);
        assert!(outside < 0.002, "frame {n}: nothing below the safe zone ({:.2} %)", outside * 100.0);
    }

    // The clip's own subtitle file, beside it, from the same cues.
    let srt = std::fs::read_to_string(captioned.with_extension("srt")).unwrap();
    assert_eq!(
        srt,
        "1\r\n00:00:02,000 --> 00:00:04,500\r\n投资有风险，入市需谨慎\r\n\r\n2\r\n00:00:07,000 --> 00:00:09,000\r\n第二句 A&B\r\n\r\n"
    );
}

#[test]
fn a_two_segment_clip_retimes_its_cues_and_cuts_them_at_the_joins() {
    let dir = tempfile::tempdir().unwrap();
    let master = dir.path().join("talk.mp4");
    make_master(&master, &Master::default());
    let studio = fast_studio(&dir.path().join("data"));
    let srt = "00:00:03,000 --> 00:00:05,000\n第一段里\n\n00:00:05,500 --> 00:00:07,000\n跨过结尾\n\n00:00:09,000 --> 00:00:11,000\n跨过开头\n\n00:00:12,000 --> 00:00:13,000\n第二段里\n";
    let file = dir.path().join("talk.srt");
    std::fs::write(&file, srt).unwrap();
    let track = studio_engine::subtitles::read(&file).unwrap();
    assert_eq!(
        track.warnings.iter().map(|w| w.text.as_str()).collect::<Vec<_>>(),
        vec!["the cues have no numbers; they are numbered in time order"]
    );
    let request = PlanRequest {
        segments: vec![Segment { start: 2.0, end: 6.0 }, Segment { start: 10.0, end: 14.0 }],
        cues: track.cues,
        ..request(&studio, None)
    };
    let (plans, jobs) = render(&studio, &master, &["douyin"], &request, &dir.path().join("out"));
    assert_duration(assert_platform_mp4(&jobs[0].output_path, (1080, 1920)), 8.0);
    let cues: Vec<(u32, f64, f64, f64)> =
        plans[0].captions.as_ref().unwrap().cues.iter().map(|c| (c.number, c.start, c.end, c.master_start)).collect();
    assert_eq!(cues, vec![(1, 1.0, 3.0, 3.0), (2, 3.5, 4.0, 5.5), (3, 4.0, 5.0, 10.0), (4, 6.0, 7.0, 12.0)]);
    let written = std::fs::read_to_string(jobs[0].output_path.with_extension("srt")).unwrap();
    assert_eq!(
        written,
        "1\r\n00:00:01,000 --> 00:00:03,000\r\n第一段里\r\n\r\n\
         2\r\n00:00:03,500 --> 00:00:04,000\r\n跨过结尾\r\n\r\n\
         3\r\n00:00:04,000 --> 00:00:05,000\r\n跨过开头\r\n\r\n\
         4\r\n00:00:06,000 --> 00:00:07,000\r\n第二段里\r\n\r\n"
    );
}

#[test]
fn subtitle_files_in_each_encoding_are_read_and_a_bad_one_is_refused_by_line_losing_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("数据 & 'quotes'");
    let master = dir.path().join("讲座 视频.mp4");
    make_master(&master, &Master { seconds: 20.0, ..Master::default() });
    let m = master.to_str().unwrap();
    // Missing numbers, `00:00:04` and `,5` times, CRLF, a tag, no final newline.
    let text = "00:00:01,000 --> 00:00:04\r\n<i>投资有风险</i>\r\n\r\n00:00:05,5 --> 00:00:07,000\r\n入市需谨慎";
    let (gbk, _, _) = encoding_rs::GB18030.encode(text);
    let mut utf8_bom = vec![0xEF, 0xBB, 0xBF];
    utf8_bom.extend(text.as_bytes());
    let files: Vec<(&str, Vec<u8>, &str)> = vec![
        ("剪映.srt", utf8_bom, "UTF-8"),
        ("gbk.srt", gbk.into_owned(), "gb18030"),
        ("utf16le.srt", utf16(text, false, true), "UTF-16LE"),
        ("utf16be-no-bom.srt", utf16(text, true, false), "UTF-16BE"),
        ("talk.vtt", "WEBVTT\n\nNOTE 备注\n\n00:01.000 --> 00:04.000 align:start\n投资有风险\n\n00:05.500 --> 00:07.000\n入市需谨慎\n".as_bytes().to_vec(), "UTF-8"),
        ("talk.ass", "[Script Info]\nScriptType: v4.00+\n\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\nDialogue: 0,0:00:01.00,0:00:04.00,Default,,0,0,0,,{\\b1}投资有风险\nDialogue: 0,0:00:05.50,0:00:07.00,Default,,0,0,0,,入市需谨慎\n".as_bytes().to_vec(), "UTF-8"),
    ];
    for (name, bytes, encoding) in files {
        let file = dir.path().join(name);
        std::fs::write(&file, bytes).unwrap();
        let out = studio_ok(&data, &["subtitles", "add", m, file.to_str().unwrap()]);
        assert!(out.contains(&format!("2 cues from {name}")) && out.contains(encoding), "{name}: {out}");
        let shown: serde_json::Value =
            serde_json::from_str(&studio_ok(&data, &["--json", "subtitles", "show", m])).unwrap();
        let cues: Vec<(u64, u64, &str)> = shown["cues"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["start_ms"].as_u64().unwrap(), c["end_ms"].as_u64().unwrap(), c["text"].as_str().unwrap()))
            .collect();
        assert_eq!(cues, vec![(1000, 4000, "投资有风险"), (5500, 7000, "入市需谨慎")], "{name}");
    }

    // A typo fixed, with history.
    studio_ok(&data, &["--as", "编辑小李", "subtitles", "edit", m, "2", "入市须谨慎"]);
    let history = studio_ok(&data, &["subtitles", "history", m]);
    assert!(
        history.contains("编辑小李") && history.contains("入市需谨慎") && history.contains("入市须谨慎"),
        "{history}"
    );

    // Unreadable: refused with its line, and the master keeps the subtitles it had.
    let bad = dir.path().join("bad.srt");
    std::fs::write(&bad, "1\n00:00:01,000 --> 00:00:02,000\n甲\n\n2\n00:00:03,000 --> 00:00:0x,000\n乙\n").unwrap();
    let out = studio_cmd(&data, &["subtitles", "add", m, bad.to_str().unwrap()]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("bad.srt, line 6") && stderr.contains("end time `00:00:0x,000`"), "{stderr}");
    let bytes = [0xFFu8, 0xFE, 0x00, 0xD8, 0x41]; // UTF-16 with a lone surrogate
    std::fs::write(&bad, bytes).unwrap();
    let out = studio_cmd(&data, &["subtitles", "add", m, bad.to_str().unwrap()]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("not valid UTF-16LE text"), "{out:?}");
    let shown = studio_ok(&data, &["subtitles", "show", m]);
    assert!(shown.contains("talk.ass") && shown.contains("入市须谨慎"), "{shown}");

    // Subtitles of another, longer video are refused at the door.
    let late = dir.path().join("late.srt");
    std::fs::write(&late, "1\n00:30:00,000 --> 00:30:02,000\n别的视频\n").unwrap();
    let out = studio_cmd(&data, &["subtitles", "add", m, late.to_str().unwrap()]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("after the video ends"), "{out:?}");
}

#[test]
fn a_promise_in_a_cue_blocks_approval_and_studio_check_names_the_cue() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    write_fast_profiles(&data);
    let master = dir.path().join("talk.mp4");
    make_master(&master, &Master::default());
    let srt = dir.path().join("talk.srt");
    std::fs::write(
        &srt,
        "1\n00:00:01,000 --> 00:00:03,000\n大家好\n\n2\n00:00:06,000 --> 00:00:08,000\n这只基金稳赚不赔\n",
    )
    .unwrap();

    let out = studio_cmd(&data, &["check", srt.to_str().unwrap()]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("BLOCK") && text.contains("cue 2 (00:00:06.000, line 6)"), "{text}");

    studio_ok(&data, &["people", "add", "编辑小李", "--role", "editor"]);
    studio_ok(&data, &["people", "add", "审核老王", "--role", "reviewer"]);
    let m = master.to_str().unwrap();
    let args = ["--as", "编辑小李", "render", m, "--subtitles", srt.to_str().unwrap(), "--platforms", "douyin"];
    studio_ok(&data, &[&args[..], &["--start", "2", "--out", dir.path().join("out").to_str().unwrap()]].concat());
    let review = studio_ok(&data, &["--as", "编辑小李", "review", "1", "--submit"]);
    assert!(review.contains("cue 2 (master 00:00:06, clip 00:00:04)"), "{review}");
    let out = studio_cmd(&data, &["--as", "审核老王", "review", "1", "--approve"]).output().unwrap();
    assert!(!out.status.success(), "a block in a cue blocks approval");
    assert!(String::from_utf8_lossy(&out.stderr).contains("promise"), "{out:?}");
    // The review screen takes the reviewer to the cue: 6 s in the master, 4 s in the clip.
    let (content, findings) = fast_studio(&data).check_variant(1).unwrap();
    let cue = findings.iter().find(|f| f.field.starts_with("cue 2 ")).expect("the cue's finding");
    assert_eq!(
        studio_engine::review::Places::of(&content).place(&cue.field),
        studio_engine::review::Place::Time { at: 4.0 }
    );
}

/// Three quiet, static minutes with one planted window (100–115 s) of
/// speech-like sound (noise bursts four times a second) and scene cuts.
fn planted_master(path: &Path) {
    let video = "color=c=gray:s=320x180:r=25:d=180,\
        drawbox=c=red:t=fill:enable='between(t,100,115)*lt(mod(t,3),1.5)',\
        drawbox=c=blue:t=fill:enable='between(t,100,115)*gte(mod(t,3),1.5)'";
    let audio = "anoisesrc=a=0.3:d=180:c=pink:r=44100,\
        volume='if(between(t,100,115),0.05+0.95*gt(sin(2*PI*4*t),0),0.02)':eval=frame";
    let out = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-nostdin",
            "-y",
            "-f",
            "lavfi",
            "-i",
            video,
            "-f",
            "lavfi",
            "-i",
            audio,
        ])
        .args(["-c:v", "libx264", "-preset", "ultrafast", "-g", "250", "-c:a", "aac", "-shortest"])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn suggest_ranks_the_planted_window_first_with_and_without_subtitles() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let master = dir.path().join("讲座 长版.mp4");
    planted_master(&master);
    let m = master.to_str().unwrap();
    let best = |json: &str| -> (f64, f64, Vec<String>) {
        let report: serde_json::Value = serde_json::from_str(json).unwrap();
        let first = &report["suggestions"][0];
        let codes =
            first["reasons"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap().to_owned()).collect();
        (first["start"].as_f64().unwrap(), first["end"].as_f64().unwrap(), codes)
    };

    let (start, end, codes) = best(&studio_ok(&data, &["--json", "suggest", m, "--count", "3"]));
    assert!((start - 100.0).abs() <= 1.0 && (end - 115.0).abs() <= 1.5, "{start}–{end}");
    assert!(codes.contains(&"pace".to_owned()) && codes.contains(&"no_long_pause".to_owned()), "{codes:?}");

    // With subtitles the window starts and ends on cues, and their hooks count.
    let srt = dir.path().join("talk.srt");
    std::fs::write(
        &srt,
        "1\n00:00:20,000 --> 00:00:30,000\n今天天气不错\n\n2\n00:01:40,200 --> 00:01:47,000\n干货：三个误区，为什么？\n\n3\n00:01:47,000 --> 00:01:54,600\n第一，别满仓\n",
    )
    .unwrap();
    studio_ok(&data, &["subtitles", "add", m, srt.to_str().unwrap()]);
    let (start, end, codes) = best(&studio_ok(&data, &["--json", "suggest", m, "--duration", "15"]));
    assert_eq!((start, end), (100.2, 114.6));
    assert!(codes.contains(&"hook_words".to_owned()) && codes.contains(&"numbers".to_owned()), "{codes:?}");
    let table = studio_ok(&data, &["suggest", m]);
    assert!(table.contains("00:01:40.200") && table.contains("有钩子词（干货）"), "{table}");
}
