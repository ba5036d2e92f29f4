//! Smart render of full versions, checked frame by frame against the master:
//! GOPs outside the disclaimer's windows are the master's own (framemd5),
//! frame count and timestamps equal a full render's, the disclaimer is on
//! screen where planned, the audio is the master's, and every case that
//! cannot be smart-rendered says why and renders in full.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

use studio_e2e::*;
use studio_engine::plan::VariantPlan;
use studio_engine::plan::smart::RenderMethod;
use studio_engine::queue::{Silent, run_queue};
use studio_engine::render::CancelToken;
use studio_engine::{Studio, StudioConfig};

fn studio(data: &Path, smart: bool) -> Studio {
    full_small_profile(data);
    write_fast_profiles(data);
    let mut config = StudioConfig::new(data.to_owned());
    config.smart_render = smart;
    Studio::open(config).unwrap()
}

/// The audio stream's packets, hashed.
fn audio_md5(path: &Path) -> String {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-i"])
        .arg(path)
        .args(["-map", "0:a:0", "-c", "copy", "-f", "md5", "-"])
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

fn plan_for(studio: &Studio, master: &Path, platform: &str, out: &Path) -> VariantPlan {
    let media = studio.probe(master).unwrap();
    studio.plan(&media, platform, &request(studio, None), out).unwrap()
}

fn run(studio: &Studio, master: &Path, plan: &VariantPlan) -> studio_engine::store::RenderJob {
    let media = studio.probe(master).unwrap();
    studio.enqueue("tests", &media, std::slice::from_ref(plan)).unwrap();
    let jobs = run_queue(studio, &Silent, &CancelToken::default()).unwrap();
    let job = jobs.into_iter().last().unwrap();
    assert!(job.error.is_none(), "{:?}", job.error);
    job
}

/// Output frame index ranges that were re-encoded, from the smart plan.
fn reencoded_frames(plan: &VariantPlan) -> Vec<(i64, i64)> {
    let Some(RenderMethod::Smart(s)) = &plan.method else { panic!("not smart: {:?}", plan.method) };
    let frames = s.frames as i64;
    s.reencoded.iter().map(|w| ((w.start * 30.0).round() as i64, ((w.end * 30.0).round() as i64).min(frames))).collect()
}

#[test]
fn a_full_version_is_smart_rendered_and_its_copied_frames_are_the_masters_own() {
    let dir = tempfile::tempdir().unwrap();
    let master = dir.path().join("讲座 'OBS' & 录制.mp4");
    recorded_master(&master, 40.0, (640, 360), 2, true);
    let smart = studio(&dir.path().join("data"), true);
    let plan = plan_for(&smart, &master, "full-small", &dir.path().join("smart"));
    let summary = plan.method.as_ref().unwrap().summary();
    assert_eq!(summary, "smart: 2 windows re-encoded (0:00–0:06, 0:34–0:40), 70.0 % copied; audio copied");
    assert!(plan.notes.iter().any(|n| n.text == summary), "{:?}", plan.notes);
    // The note is worded in Chinese from its code and parameters.
    let note = plan.notes.iter().find(|n| n.code == "plan.smart").unwrap();
    let zh = note.render(studio_engine::message::Lang::ZhCn);
    assert_eq!(zh, "智能渲染：重新编码 2 段（0:00–0:06, 0:34–0:40），70.0% 原样复制；音频原样复制。");
    let job = run(&smart, &master, &plan);
    assert_eq!(
        job.method.as_ref().map(|m| m.text.as_str()),
        Some(summary.as_str()),
        "the render table says how it was made"
    );
    assert_eq!(
        job.method.as_ref().map(|m| m.render(studio_engine::message::Lang::ZhCn)),
        Some(zh.clone()),
        "and words it in Chinese"
    );
    assert!(!studio_engine::render::smart::work_dir(&plan).exists(), "the pieces are gone");

    let out = &job.output_path;
    decodes_cleanly(out);
    let probe = ffprobe(out);
    let v = stream(&probe, "video").unwrap();
    assert_eq!(
        (v["codec_name"].as_str(), v["width"].as_u64(), v["height"].as_u64()),
        (Some("h264"), Some(640), Some(360))
    );
    assert!(moov_before_mdat(out), "faststart");
    assert_eq!(audio_md5(out), audio_md5(&master), "the audio is the master's, copied");
    let a = stream(&probe, "audio").unwrap();
    assert!(num(&a["start_time"]).abs() < 1e-3 && num(&v["start_time"]).abs() < 1e-3, "audio and video start together");

    // Every frame outside the re-encoded GOPs is the master's own.
    let (got, want) = (framemd5(out), framemd5(&master));
    assert_eq!(got.len(), want.len(), "frame count");
    let ranges = reencoded_frames(&plan);
    assert_eq!(ranges, vec![(0, 180), (1020, 1200)]);
    let mut copied = 0;
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g.0, w.0, "frame {i}'s timestamp");
        let inside = ranges.iter().any(|(a, b)| (*a..*b).contains(&(i as i64)));
        if !inside {
            assert_eq!(g.1, w.1, "frame {i} is copied bit for bit");
            copied += 1;
        }
    }
    assert_eq!(copied, 840);

    // The same variant rendered in full: the same frames at the same times.
    let full = studio(&dir.path().join("data-full"), false);
    let full_plan = plan_for(&full, &master, "full-small", &dir.path().join("full"));
    assert_eq!(full_plan.method.as_ref().unwrap().summary(), "full re-encode: smart render is off");
    let full_job = run(&full, &master, &full_plan);
    let whole = framemd5(&full_job.output_path);
    assert_eq!(whole.iter().map(|f| f.0).collect::<Vec<_>>(), got.iter().map(|f| f.0).collect::<Vec<_>>());

    // The disclaimer is on screen in its windows (0–5 s, 35–40 s) and not between.
    let o = plan.overlay.clone().unwrap();
    let area = (o.x, o.y, o.source.width, o.source.height);
    for (t, shown) in [(0.0, true), (4.9, true), (5.5, false), (20.0, false), (34.5, false), (35.2, true), (39.9, true)]
    {
        let (a, w, _) = frame_rgb(out, t);
        let (b, _, _) = frame_rgb(&master, t);
        let diff = mean_diff(&a, &b, w, area);
        if shown {
            assert!(diff > 20.0, "disclaimer on screen at {t} s (diff {diff})");
        } else {
            assert!(diff < 6.0, "no disclaimer at {t} s (diff {diff})");
        }
        let (c, _, _) = frame_rgb(&full_job.output_path, t);
        assert!(mean_diff(&a, &c, w, area) < 6.0, "smart and full agree at {t} s");
    }
}

#[test]
fn sparse_keyframes_and_a_silent_master_still_join_at_the_first_and_last_frame() {
    let dir = tempfile::tempdir().unwrap();
    let master = dir.path().join("talk.mp4");
    recorded_master(&master, 60.0, (640, 360), 10, false);
    let studio = studio(&dir.path().join("data"), true);
    let plan = plan_for(&studio, &master, "full-small", &dir.path().join("out"));
    assert_eq!(
        plan.method.as_ref().unwrap().summary(),
        "smart: 2 windows re-encoded (0:00–0:10, 0:50–1:00), 66.7 % copied; audio encoded"
    );
    let job = run(&studio, &master, &plan);
    decodes_cleanly(&job.output_path);
    let probe = ffprobe(&job.output_path);
    let a = stream(&probe, "audio").expect("a silent AAC track, as the profile asks");
    assert_eq!(a["codec_name"], "aac");
    let (got, want) = (framemd5(&job.output_path), framemd5(&master));
    assert_eq!(got.len(), want.len());
    assert_eq!(reencoded_frames(&plan), vec![(0, 300), (1500, 1800)]);
    for i in 300..1500 {
        assert_eq!(got[i], want[i], "frame {i}");
    }
    assert_ne!(got[0].1, want[0].1, "the first frame carries the disclaimer");
    assert_ne!(got[1799].1, want[1799].1, "so does the last");
}

#[test]
fn a_master_that_does_not_fit_is_rendered_in_full_and_the_plan_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    full_small_profile(&data);
    let master = dir.path().join("talk.mp4");
    make_master(&master, &Master { seconds: 30.0, size: (1280, 720), rate: "30000/1001", ..Master::default() });
    let plan = studio_ok(&data, &["plan", master.to_str().unwrap(), "--platforms", "bilibili,douyin"]);
    assert!(plan.contains("full re-encode: 1280x720, not 1920x1080"), "{plan}");
    // 29.97 fps is a rate Bilibili takes as it is; 24 fps is not.
    let film = dir.path().join("film.mp4");
    make_master(&film, &Master { seconds: 30.0, rate: "24", ..Master::default() });
    let plan = studio_ok(&data, &["plan", film.to_str().unwrap(), "--platforms", "full-small"]);
    assert!(plan.contains("full re-encode: 24 fps, not 30"), "{plan}");
    // Short clips are re-encoded as always, with nothing to say.
    assert_eq!(plan.matches("full re-encode").count(), 1, "{plan}");

    // Keyframes too far apart for the platform (every 12 s, over its 10 s).
    let sparse = dir.path().join("sparse.mp4");
    recorded_master(&sparse, 30.0, (640, 360), 12, true);
    let plan = studio_ok(&data, &["plan", sparse.to_str().unwrap(), "--platforms", "full-small"]);
    assert!(plan.contains("full re-encode: keyframes up to 12 s apart, over the 10 s the platform allows"), "{plan}");
    let plan = studio_ok(&data, &["--no-smart", "plan", sparse.to_str().unwrap(), "--platforms", "full-small"]);
    assert!(plan.contains("full re-encode: smart render is off"), "{plan}");
    // A disclaimer shown throughout leaves nothing to copy.
    let plan =
        studio_ok(&data, &["plan", sparse.to_str().unwrap(), "--platforms", "full-small", "--disclaimer-at", "whole"]);
    assert!(plan.contains("the disclaimer is on screen throughout"), "{plan}");
}

#[test]
fn a_smart_render_that_fails_falls_back_to_a_full_render_and_records_why() {
    let dir = tempfile::tempdir().unwrap();
    let master = dir.path().join("talk.mp4");
    recorded_master(&master, 30.0, (640, 360), 2, true);
    let studio = studio(&dir.path().join("data"), true);
    let mut plan = plan_for(&studio, &master, "full-small", &dir.path().join("out"));
    // A plan whose frame count no join can meet: the check after joining refuses it.
    let Some(RenderMethod::Smart(s)) = plan.method.as_mut() else { panic!("{:?}", plan.method) };
    s.frames += 1;
    let job = run(&studio, &master, &plan);
    let method = job.method.unwrap().text;
    assert!(
        method.starts_with(
            "full re-encode (smart render failed at the check step: 900 frames joined, the master has 901)"
        ),
        "{method}"
    );
    decodes_cleanly(&job.output_path);
    assert_eq!(framemd5(&job.output_path).len(), 900);
    assert!(!studio_engine::render::smart::work_dir(&plan).exists());
}

/// A camera's 29.97 fps recording: Bilibili takes the rate as it is, so the
/// smart render keeps it (a full render converts to 30).
#[test]
fn the_shipped_bilibili_profile_smart_renders_a_1080p_recording() {
    let dir = tempfile::tempdir().unwrap();
    let master = dir.path().join("talk.mp4");
    recorded_master_at(&master, 30.0, (1920, 1080), "30000/1001", 2, true);
    let studio = studio(&dir.path().join("data"), true);
    let plan = plan_for(&studio, &master, "bilibili", &dir.path().join("out"));
    let summary = plan.method.as_ref().unwrap().summary();
    assert!(summary.starts_with("smart: 2 windows re-encoded (0:00–0:06, 0:24–0:30)"), "{summary}");
    assert!(summary.ends_with("audio copied"), "{summary}");
    let job = run(&studio, &master, &plan);
    decodes_cleanly(&job.output_path);
    let probe = ffprobe(&job.output_path);
    let v = stream(&probe, "video").unwrap();
    assert_eq!(
        (v["width"].as_u64(), v["height"].as_u64(), v["codec_name"].as_str()),
        (Some(1920), Some(1080), Some("h264"))
    );
    assert_eq!(v["r_frame_rate"], "30000/1001", "the master's rate, kept");
    assert_eq!(stream(&probe, "audio").unwrap()["profile"], "LC");
    assert!(moov_before_mdat(&job.output_path));
    assert_duration(num(&probe["format"]["duration"]), 30.0);
    let (got, want) = (framemd5(&job.output_path), framemd5(&master));
    assert_eq!(got.len(), want.len());
    // GOPs of 60 frames (2 s at 29.97): the re-encoded ones are the first
    // three and the last three.
    assert!(got[180..720] == want[180..720], "the middle is the master's own");
    assert_ne!(got[0], want[0]);
}

/// Planning reads an MP4's keyframes from its index, not its packets: for
/// every way a master is commonly written the index gives what ffprobe's
/// packet list gives, and where it cannot be trusted or is not there, the
/// packets are listed.
#[test]
fn keyframes_read_from_the_index_are_the_ones_the_packets_list() {
    let dir = tempfile::tempdir().unwrap();
    let tools = studio_engine::tools::MediaTools { ffmpeg: "ffmpeg".into(), ffprobe: "ffprobe".into() };
    let ff = |args: &[&str]| {
        let out =
            Command::new("ffmpeg").args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y"]).args(args).output();
        let out = out.unwrap();
        assert!(out.status.success(), "ffmpeg {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    // A recording with B-frames at 29.97 fps, its index at the end (as OBS writes it).
    recorded_master_at(&dir.path().join("recorded.mp4"), 7.0, (160, 90), "30000/1001", 2, true);
    let recorded = path("recorded.mp4");
    ff(&["-i", &recorded, "-c", "copy", "-movflags", "+faststart", &path("faststart.mp4")]);
    ff(&["-i", &recorded, "-c", "copy", &path("quicktime.mov")]);
    // The video starts 0.5 s after the audio: an empty edit before it.
    ff(&[
        "-i",
        &recorded,
        "-itsoffset",
        "0.5",
        "-i",
        &recorded,
        "-map",
        "0:a",
        "-map",
        "1:v",
        "-c",
        "copy",
        &path("delayed.mp4"),
    ]);
    // Cut without re-encoding, off a keyframe: an edit list that starts inside a GOP.
    ff(&["-ss", "1.3", "-i", &recorded, "-c", "copy", &path("trimmed.mp4")]);
    // No B-frames, 25 fps, a keyframe at every scene cut too.
    ff(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=160x90:rate=25",
        "-t",
        "6",
        "-c:v",
        "libx264",
        "-bf",
        "0",
        &path("plain.mp4"),
    ]);
    let indexed = ["recorded.mp4", "faststart.mp4", "quicktime.mov", "delayed.mp4", "plain.mp4"];
    // Fragmented MP4 and Matroska have no index of this kind.
    ff(&["-i", &recorded, "-c", "copy", "-movflags", "frag_keyframe+empty_moov", &path("fragmented.mp4")]);
    ff(&["-i", &recorded, "-c", "copy", &path("recorded.mkv")]);

    for name in indexed.iter().chain(&["trimmed.mp4", "fragmented.mp4", "recorded.mkv"]) {
        let file = dir.path().join(name);
        let packets = studio_engine::probe::scan_packets(&tools, &file).unwrap();
        let index = studio_engine::mp4_index::read(&mut std::fs::File::open(&file).unwrap());
        if indexed.contains(name) {
            let index = index.unwrap_or_else(|| panic!("{name}: no index read"));
            assert_eq!((index.frames, index.bytes), (packets.frames, packets.bytes), "{name}");
            assert_eq!(index.keyframes.len(), packets.keyframes.len(), "{name}");
            for (i, p) in index.keyframes.iter().zip(&packets.keyframes) {
                assert!((i - p).abs() < 1e-6, "{name}: keyframe at {i} in the index, {p} in the packets");
            }
            assert!((index.first_pts - packets.first_pts).abs() < 1e-6, "{name}: {index:?} {packets:?}");
            assert!((index.last_pts - packets.last_pts).abs() < 1e-6, "{name}");
        } else if name.starts_with("fragmented") || name.ends_with(".mkv") {
            assert_eq!(index, None, "{name}");
        }
        // Whichever way they were read, the facts the plan uses are the packets'.
        let facts = studio_engine::probe::stream_facts(&tools, &file).unwrap();
        assert_eq!(facts.frames, packets.frames, "{name}");
        assert!(facts.keyframes.iter().zip(&packets.keyframes).all(|(a, b)| (a - b).abs() < 1e-6), "{name}");
        assert_eq!(facts.keyframes.len(), packets.keyframes.len(), "{name}");
    }
    let delayed = studio_engine::mp4_index::read(&mut std::fs::File::open(dir.path().join("delayed.mp4")).unwrap());
    assert!((delayed.unwrap().keyframes[0] - 0.5).abs() < 1e-6, "the empty edit delays the video");
}

struct CancelDuringJoin(CancelToken);
impl studio_engine::queue::JobEvents for CancelDuringJoin {
    fn progress(&self, _job_id: i64, p: &studio_engine::render::Progress) {
        // The join's progress: copied stretches are streaming into it.
        if p.percent > 30.0 {
            self.0.cancel();
        }
    }
}

/// A cancel while the copied stretches stream into the join stops every
/// ffmpeg of the render, keeps no partial file or piece, falls back to
/// nothing, and the job renders smart when it is run again.
#[test]
fn cancelling_a_smart_render_mid_join_stops_every_ffmpeg_and_keeps_nothing() {
    use studio_engine::store::JobState;
    let dir = tempfile::tempdir().unwrap();
    let master = dir.path().join("cancel-me.mp4");
    recorded_master(&master, 60.0, (640, 360), 2, true);
    let studio = studio(&dir.path().join("data"), true);
    let plan = plan_for(&studio, &master, "full-small", &dir.path().join("out"));
    assert!(matches!(plan.method, Some(RenderMethod::Smart(_))));
    let media = studio.probe(&master).unwrap();
    studio.enqueue("tests", &media, std::slice::from_ref(&plan)).unwrap();
    let token = CancelToken::default();
    let ran = run_queue(&studio, &CancelDuringJoin(token.clone()), &token).unwrap();
    assert_eq!(ran.len(), 1);
    assert_eq!(ran[0].state, JobState::Cancelled, "{:?}", ran[0].error);
    assert_eq!(processes_mentioning(master.to_str().unwrap()), Vec::<u32>::new(), "an ffmpeg is left running");
    let partial = studio_engine::render::partial_path(&plan.output);
    assert!(!partial.exists() && !plan.output.exists(), "nothing of the cancelled render is kept");
    assert!(!studio_engine::render::smart::work_dir(&plan).exists(), "the pieces are removed");

    let id = ran[0].id;
    studio.store().unwrap().retry_job(id).unwrap();
    let job = run_queue(&studio, &Silent, &CancelToken::default()).unwrap().pop().unwrap();
    assert_eq!(job.state, JobState::Done, "{:?}", job.error);
    assert!(job.method.unwrap().text.starts_with("smart: "), "run again, it renders smart");
    assert_eq!(framemd5(&job.output_path).len(), 1800);
}
