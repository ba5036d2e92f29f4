use std::path::PathBuf;

use super::*;
use crate::platform::PlatformCatalog;
use crate::probe::{AudioInfo, VideoInfo};

fn media(duration: f64, (w, h): (u32, u32), audio: bool) -> MediaInfo {
    MediaInfo {
        path: PathBuf::from("/masters/talk 1.mp4"),
        container: "mov,mp4".into(),
        duration,
        size_bytes: 1,
        video: VideoInfo {
            codec: "h264".into(),
            width: w,
            height: h,
            rotation: 0,
            display_width: w,
            display_height: h,
            frame_rate: 30.0,
            frame_rate_text: "30/1".into(),
            variable_frame_rate: false,
            pix_fmt: Some("yuv420p".into()),
        },
        audio: audio.then(|| AudioInfo { codec: "aac".into(), channels: 2, sample_rate: 48000 }),
    }
}

fn profile(id: &str) -> PlatformProfile {
    PlatformCatalog::load(None).unwrap().get(id).unwrap().clone()
}

fn overlays() -> OverlayPair {
    let src = |name: &str| OverlaySource {
        path: PathBuf::from(format!("/data/{name}.png")),
        width: 400,
        height: 60,
        font: String::new(),
    };
    OverlayPair { frame: src("frame"), cover: src("cover") }
}

fn disclaimer() -> Disclaimer {
    Disclaimer { lines: vec!["投资有风险，入市需谨慎".into()], start: 0.0, duration: None, at: None }
}

fn request(start: Option<f64>) -> PlanRequest {
    PlanRequest { start, disclaimer: Some(disclaimer()), ..Default::default() }
}

fn plan(m: &MediaInfo, id: &str, r: &PlanRequest) -> Result<VariantPlan> {
    plan_variant(m, &profile(id), r, Some(&overlays()), Path::new("/out"))
}

fn args_text(args: &[std::ffi::OsString]) -> Vec<String> {
    args.iter().map(|a| a.to_string_lossy().into_owned()).collect()
}

#[test]
fn douyin_clip_seeks_on_input_and_encodes_for_the_platform() {
    let p = plan(&media(600.0, (1920, 1080), true), "douyin", &request(Some(90.0))).unwrap();
    assert_eq!(p.segments, vec![Segment { start: 90.0, end: 105.0 }]);
    assert_eq!((p.width, p.height, p.duration), (1080, 1920, 15.0));
    let a = args_text(&p.ffmpeg_args(Path::new("/out/x.part"), None));
    let i = a.iter().position(|s| s == "-i").unwrap();
    assert_eq!(&a[..i], ["-ss", "90.000", "-t", "15.000"], "seek before -i");
    for pair in [
        ["-c:v", "libx264"],
        ["-profile:v", "high"],
        ["-pix_fmt", "yuv420p"],
        ["-c:a", "aac"],
        ["-map", "0:a:0"],
        ["-g", "60"],
    ] {
        assert!(a.windows(2).any(|w| w == pair), "{pair:?} in {a:?}");
    }
    assert!(!a.iter().any(|s| s.contains("faststart")), "the index is written first, not moved after: {a:?}");
    let room: u64 = a[a.iter().position(|s| s == "-moov_size").unwrap() + 1].parse().unwrap();
    // 452 video and 734 audio samples at most, 48 bytes each, and the boxes around them.
    assert_eq!(room, 48 * (452 + 734) + 128 * 1024);
    let graph = &a[a.iter().position(|s| s == "-filter_complex").unwrap() + 1];
    assert!(graph.contains("fps=30") && graph.contains("overlay=x=") && graph.contains("format=yuv420p"), "{graph}");
    assert_eq!(a.last().unwrap(), "file:/out/x.part", "the output as a file: URL, never read as a protocol");
}

#[test]
fn short_master_becomes_the_whole_clip_and_the_plan_says_so() {
    let p = plan(&media(8.0, (1280, 720), true), "douyin", &request(Some(3.0))).unwrap();
    assert_eq!(p.segments, vec![Segment { start: 0.0, end: 8.0 }]);
    assert!(p.notes.iter().any(|n| n.text.contains("whole master")), "{:?}", p.notes);
}

#[test]
fn clip_running_past_the_end_is_cut_and_noted() {
    let p = plan(&media(100.0, (1280, 720), true), "douyin", &request(Some(95.0))).unwrap();
    assert_eq!(p.duration, 5.0);
    assert!(p.notes.iter().any(|n| n.text.contains("shorter than the 15 s target")));
    let err = plan(&media(100.0, (1280, 720), true), "douyin", &request(Some(100.0))).unwrap_err();
    assert!(err.to_string().contains("past the end"), "{err}");
}

#[test]
fn full_version_ignores_the_clip_start() {
    let p = plan(&media(70.0, (1280, 720), true), "bilibili", &request(Some(30.0))).unwrap();
    assert_eq!(p.segments, vec![Segment { start: 0.0, end: 70.0 }]);
    let a = args_text(&p.ffmpeg_args(Path::new("/o"), None));
    assert!(!a.contains(&"-ss".to_owned()));
}

#[test]
fn disclaimer_shown_under_five_seconds_is_refused() {
    let mut r = request(None);
    r.disclaimer = Some(Disclaimer { duration: Some(4.0), ..disclaimer() });
    let err = plan(&media(60.0, (1920, 1080), true), "douyin", &r).unwrap_err();
    assert_eq!(err.code(), "plan_invalid");
    assert!(err.to_string().contains("at least 5 s"), "{err}");
    r.disclaimer = Some(Disclaimer { duration: Some(5.0), start: 2.0, ..disclaimer() });
    let p = plan(&media(60.0, (1920, 1080), true), "douyin", &r).unwrap();
    let overlay = p.overlay.clone().unwrap();
    assert_eq!((overlay.start, overlay.end), (2.0, Some(7.0)));
    let a = args_text(&p.ffmpeg_args(Path::new("/o"), None)).join(" ");
    assert!(a.contains("enable='between(t,2.000,7.000)'"), "{a}");
    let err = plan(&media(3.0, (1920, 1080), true), "douyin", &request(None)).unwrap_err();
    assert!(err.to_string().contains("clip itself is shorter"), "{err}");
}

#[test]
fn the_full_version_shows_the_disclaimer_at_the_start_the_end_and_every_ten_minutes() {
    // Bilibili's profile: start-end with a reminder every 10 minutes.
    let p = plan(&media(2400.0, (1920, 1080), true), "bilibili", &request(None)).unwrap();
    let o = p.overlay.clone().unwrap();
    let spans: Vec<(f64, f64)> = o.on_screen(p.duration).iter().map(|w| (w.start, w.end)).collect();
    assert_eq!(spans, vec![(0.0, 5.0), (600.0, 605.0), (1200.0, 1205.0), (1800.0, 1805.0), (2395.0, 2400.0)]);
    let a = args_text(&p.ffmpeg_args(Path::new("/o"), None)).join(" ");
    assert!(
        a.contains(
            "enable='between(t,0.000,5.000)+between(t,600.000,605.000)+between(t,1200.000,1205.000)\
             +between(t,1800.000,1805.000)+gte(t,2395.000)'"
        ),
        "{a}"
    );
    assert!(
        p.notes.iter().any(|n| n.text.contains("start-end,every=10m") && n.text.contains("00:39:55–00:40:00")),
        "{:?}",
        p.notes
    );
    // The cover keeps it whole, and review finds every window long enough.
    assert!(p.cover.overlay.as_ref().unwrap().windows.is_empty());
    assert!(crate::review::on_screen_findings(&p).is_empty());

    // A render's own choice wins over the profile's; short clips stay whole.
    let mut r = request(None);
    r.disclaimer = Some(Disclaimer { at: Some(DisclaimerPolicy::Whole), ..disclaimer() });
    let whole = plan(&media(2400.0, (1920, 1080), true), "bilibili", &r).unwrap();
    assert!(whole.overlay.unwrap().windows.is_empty());
    let douyin = plan(&media(60.0, (1920, 1080), true), "douyin", &request(None)).unwrap();
    assert!(douyin.overlay.unwrap().windows.is_empty());
    r.disclaimer = Some(Disclaimer { at: Some(DisclaimerPolicy::StartEnd { every: None }), ..disclaimer() });
    let clip = plan(&media(60.0, (1920, 1080), true), "douyin", &r).unwrap();
    let spans: Vec<(f64, f64)> = clip.overlay.unwrap().on_screen(15.0).iter().map(|w| (w.start, w.end)).collect();
    assert_eq!(spans, vec![(0.0, 5.0), (10.0, 15.0)]);

    // Too short for two windows: on screen throughout, and the plan says so.
    let short = plan(&media(9.0, (1920, 1080), true), "bilibili", &request(None)).unwrap();
    assert_eq!(short.overlay.unwrap().on_screen(9.0).len(), 1);
    assert!(short.notes.iter().any(|n| n.text.contains("throughout")), "{:?}", short.notes);

    // Windows shorter than 5 s, or a start, do not fit start-end timing.
    r.disclaimer = Some(Disclaimer { duration: Some(4.0), ..disclaimer() });
    let err = plan(&media(2400.0, (1920, 1080), true), "bilibili", &r).unwrap_err();
    assert!(err.to_string().contains("at least 5 s"), "{err}");
    r.disclaimer = Some(Disclaimer { start: 3.0, ..disclaimer() });
    let err = plan(&media(2400.0, (1920, 1080), true), "bilibili", &r).unwrap_err();
    assert!(err.to_string().contains("applies to `whole`"), "{err}");
}

#[test]
fn master_without_audio_gets_a_silent_track() {
    let p = plan(&media(30.0, (1920, 1080), false), "douyin", &request(None)).unwrap();
    assert!(p.silent_audio);
    let a = args_text(&p.ffmpeg_args(Path::new("/o"), None));
    assert!(a.windows(2).any(|w| w == ["-i", "anullsrc=r=48000:cl=stereo"]), "{a:?}");
    assert!(a.windows(2).any(|w| w == ["-map", "2:a:0"]), "{a:?}");
    assert!(a.windows(2).any(|w| w == ["-t", "15.000"]));
}

#[test]
fn segments_are_joined_in_order() {
    let mut r = request(None);
    r.segments = vec![Segment { start: 10.0, end: 20.0 }, Segment { start: 40.0, end: 45.0 }];
    let p = plan(&media(60.0, (1920, 1080), true), "xiaohongshu", &r).unwrap();
    assert_eq!(p.duration, 15.0);
    let a = args_text(&p.ffmpeg_args(Path::new("/o"), None));
    assert_eq!(a.iter().filter(|s| *s == "-i").count(), 3);
    let graph = &a[a.iter().position(|s| s == "-filter_complex").unwrap() + 1];
    assert!(graph.starts_with("[0:v:0][0:a:0][1:v:0][1:a:0]concat=n=2:v=1:a=1"), "{graph}");
    assert!(graph.contains("[2:v]overlay"), "{graph}");
}

#[test]
fn rotated_master_plans_from_its_upright_size() {
    let mut m = media(30.0, (1920, 1080), true);
    m.video.rotation = 90;
    (m.video.display_width, m.video.display_height) = (1080, 1920);
    let p = plan(&m, "douyin", &request(None)).unwrap();
    let a = args_text(&p.ffmpeg_args(Path::new("/o"), None)).join(" ");
    assert!(a.contains("scale=1080:1920"), "an upright 9:16 master needs no crop: {a}");
}

#[test]
fn user_text_never_reaches_the_filtergraph() {
    let mut r = request(None);
    r.disclaimer = Some(Disclaimer {
        lines: vec!["it's 100%: C:\\path, 投资有风险".into()],
        start: 0.0,
        duration: None,
        at: None,
    });
    let p = plan(&media(30.0, (1920, 1080), true), "douyin", &r).unwrap();
    let a = args_text(&p.ffmpeg_args(Path::new("/o"), None)).join(" ");
    assert!(!a.contains("it's") && !a.contains("100%"));
}

#[test]
fn disclaimer_sits_inside_the_safe_zone() {
    let p = plan(&media(30.0, (1920, 1080), true), "douyin", &request(None)).unwrap();
    let o = p.overlay.unwrap();
    let z = profile("douyin").safe_zone;
    assert!(o.x >= z.left && o.x + o.source.width <= 1080 - z.right);
    assert!(o.y >= z.top && o.y + o.source.height <= 1920 - z.bottom);
}

#[test]
fn cover_seeks_and_outputs_one_frame() {
    let p = plan(&media(600.0, (1920, 1080), true), "douyin", &request(Some(90.0))).unwrap();
    assert_eq!(p.cover.at, 91.0);
    let a = args_text(&p.cover_args(Path::new("/o.jpg")));
    assert_eq!(&a[..2], ["-ss", "91.000"]);
    assert!(a.windows(2).any(|w| w == ["-frames:v", "1"]));
}

#[test]
fn the_render_takes_its_cover_from_its_own_decode() {
    let p = plan(&media(600.0, (1920, 1080), false), "douyin", &request(Some(90.0))).unwrap();
    let a = args_text(&p.ffmpeg_args(Path::new("/o.mp4"), Some(Path::new("/c.jpg"))));
    // One master input, then the frame's disclaimer, the silent track and the cover's disclaimer.
    let inputs: Vec<&String> = a.windows(2).filter(|w| w[0] == "-i").map(|w| &w[1]).collect();
    assert_eq!(inputs.len(), 4, "{a:?}");
    assert!(inputs[0].ends_with("talk 1.mp4") && inputs[3].ends_with("cover.png"), "{inputs:?}");
    let graph = &a[a.iter().position(|s| s == "-filter_complex").unwrap() + 1];
    assert!(graph.starts_with("[0:v:0]split=2[source][cover_source];"), "{graph}");
    // The cover's frame is the one a second run would seek to: 1 s into the clip.
    assert!(graph.contains("[cover_source]trim=start=1.000,trim=end_frame=1[cover_frame]"), "{graph}");
    assert!(graph.contains("[cover_framed][3:v]overlay="), "{graph}");
    assert!(graph.contains("[cover_marked]format=yuvj420p[cover]"), "{graph}");
    // The video's options come before its file, the cover's after it.
    let video = a.iter().position(|s| s.ends_with("o.mp4")).unwrap();
    assert_eq!(a.last().map(String::as_str), Some("file:/c.jpg"));
    let tail = &a[video + 1..];
    assert_eq!(&tail[..2], ["-map", "[cover]"]);
    assert!(tail.windows(2).any(|w| w == ["-frames:v", "1"]));
    assert!(!a[..video].iter().any(|s| s == "-frames:v"));
}

#[test]
fn clock_round_trips() {
    assert_eq!(parse_clock("00:01:30").unwrap(), 90.0);
    assert_eq!(parse_clock("1:30.5").unwrap(), 90.5);
    assert_eq!(parse_clock("90").unwrap(), 90.0);
    assert!(parse_clock("abc").is_err() && parse_clock("-1").is_err());
    assert_eq!(clock(90.5), "00:01:30.500");
}

mod smart_render {
    use super::*;
    use crate::plan::smart::{RenderMethod, StreamFacts, decide, pieces, static_reasons};

    fn bilibili_video() -> crate::platform::VideoSpec {
        profile("bilibili").video.unwrap()
    }

    /// Bilibili's frame, taking only these rates besides its own.
    fn accepting(rates: &[f64]) -> crate::platform::VideoSpec {
        crate::platform::VideoSpec { accepted_fps: rates.to_vec(), ..bilibili_video() }
    }

    fn facts(seconds: f64, gop: f64) -> StreamFacts {
        let n = (seconds / gop).ceil() as usize;
        StreamFacts {
            keyframes: (0..n).map(|i| i as f64 * gop).collect(),
            frames: (seconds * 30.0) as u64,
            first_pts: 0.0,
            video_kbps: 6000.0,
            audio_profile: Some("LC".into()),
        }
    }

    #[test]
    fn a_fitting_full_version_reencodes_only_the_gops_under_its_windows() {
        let m = media(2400.0, (1920, 1080), true);
        let p = plan(&m, "bilibili", &request(None)).unwrap();
        let s = decide(&p, &m, &facts(2400.0, 2.0), &bilibili_video()).unwrap();
        let spans: Vec<(f64, f64)> = s.reencoded.iter().map(|w| (w.start, w.end)).collect();
        assert_eq!(spans, vec![(0.0, 6.0), (600.0, 606.0), (1200.0, 1206.0), (1800.0, 1806.0), (2394.0, 2400.0)]);
        assert_eq!(s.cuts, vec![6.0, 600.0, 606.0, 1200.0, 1206.0, 1800.0, 1806.0, 2394.0]);
        assert!(s.copy_audio);
        let summary = RenderMethod::Smart(s.clone()).summary();
        assert_eq!(
            summary,
            "smart: 5 windows re-encoded (0:00–0:06, 10:00–10:06, 20:00–20:06, 30:00–30:06, 39:54–40:00), 98.8 % copied; audio copied"
        );
        let layout = pieces(&s, 2400.0);
        assert_eq!(layout.len(), 9);
        assert_eq!(layout.iter().filter(|p| p.2).count(), 5);
        assert_eq!((layout[0], layout[1]), ((0.0, 6.0, true), (6.0, 600.0, false)));

        // The ffmpeg steps: a stream-copied stretch from a keyframe, found
        // by its exact time, a frame count long (to the end for the last);
        // a re-encode whose overlay windows are in the pieces' time; a join
        // of the pieces, streamed in, with the master's audio copied.
        let first = args_text(&p.smart_copy_args(&s, 0.0, Some(180), 0.066667, "file:/w/p000.ts".into())).join(" ");
        assert!(
            first.starts_with("-copyts -itsoffset 0.066667 -i file:/masters/talk 1.mp4 -map 0:v:0 -c copy"),
            "{first}"
        );
        assert!(first.contains("-frames:v 180") && first.ends_with("-f mpegts -y file:/w/p000.ts"), "{first}");
        let later = args_text(&p.smart_copy_args(&s, 6.0, Some(17820), 0.066667, "pipe:1".into())).join(" ");
        assert!(later.starts_with("-seek_timestamp 1 -ss 6.000000 -copyts"), "{later}");
        let last = args_text(&p.smart_copy_args(&s, 2394.0, None, 0.066667, "pipe:1".into())).join(" ");
        assert!(!last.contains("-frames:v") && last.ends_with("pipe:1"), "{last}");
        let re = args_text(&p.smart_reencode_args(
            Path::new("/w/p002.ts"),
            Path::new("/w/r002.ts"),
            0.1,
            600.0,
            1.0 / 30.0,
            2,
        ))
        .join(" ");
        assert!(
            re.contains("between(t,600.083,605.117)") && re.contains("-copyts") && re.contains("b-pyramid=normal"),
            "{re}"
        );
        assert!(re.contains("-an") && re.contains("-f mpegts") && re.contains("+eq(n,0)'"), "{re}");
        let first = args_text(&p.smart_reencode_args(
            Path::new("/w/p002.ts"),
            Path::new("/w/r002.ts"),
            0.1,
            590.0,
            1.0 / 30.0,
            2,
        ));
        assert!(!first.join(" ").contains("eq(n,0)"), "a piece that starts before its window: {first:?}");
        let join = args_text(&p.smart_join_args(&s, Path::new("/o.mp4"))).join(" ");
        assert!(
            join.starts_with(
                "-thread_queue_size 1024 -f mpegts -i pipe:0 -thread_queue_size 1024 -i file:/masters/talk 1.mp4"
            ),
            "{join}"
        );
        assert!(join.contains("-c:v copy") && join.contains("-c:a copy") && join.contains("-moov_size "), "{join}");
    }

    fn texts(notices: Vec<crate::message::Notice>) -> Vec<String> {
        notices.into_iter().map(|n| n.text).collect()
    }

    #[test]
    fn what_does_not_fit_is_said_in_words() {
        let mut m = media(600.0, (1440, 1080), true);
        m.video.codec = "hevc".into();
        m.video.frame_rate = 30000.0 / 1001.0;
        let p = plan(&m, "bilibili", &request(None)).unwrap();
        assert_eq!(
            texts(static_reasons(&p, &m, &accepting(&[]))),
            vec!["the master is HEVC", "1440x1080, not 1920x1080", "29.97 fps, not 30"]
        );
        // The plan's note lists each reason in the reader's language.
        let full = RenderMethod::Full { why: static_reasons(&p, &m, &accepting(&[])) }.notice();
        assert_eq!(
            full.render(crate::message::Lang::ZhCn),
            "完全重新编码：母版是 HEVC 编码；画面尺寸是 1440x1080，不是 1920x1080；帧率是 29.97 fps，不是 30"
        );
        assert_eq!(
            full.render(crate::message::Lang::En),
            "full re-encode: the master is HEVC / 1440x1080, not 1920x1080 / 29.97 fps, not 30"
        );
        // A rate the profile accepts is kept as it is.
        assert_eq!(
            texts(static_reasons(&p, &m, &accepting(&[25.0, 29.97]))),
            vec!["the master is HEVC", "1440x1080, not 1920x1080"]
        );
        let m = media(600.0, (1920, 1080), true);
        let p = plan(&m, "bilibili", &request(None)).unwrap();
        let mut f = facts(600.0, 12.0);
        f.video_kbps = 20_000.0;
        f.audio_profile = Some("HE-AAC".into());
        assert_eq!(
            texts(decide(&p, &m, &f, &bilibili_video()).unwrap_err()),
            vec![
                "keyframes up to 12 s apart, over the 10 s the platform allows",
                "its video is 20.0 Mbps, over the profile's 12.0 Mbps cap"
            ]
        );
        let s = decide(&p, &m, &facts(600.0, 2.0), &bilibili_video()).unwrap();
        assert!(s.copy_audio);
        f = facts(600.0, 2.0);
        f.audio_profile = Some("HE-AAC".into());
        let s = decide(&p, &m, &f, &bilibili_video()).unwrap();
        assert_eq!(
            (s.copy_audio, s.audio_note.map(|n| n.text).as_deref()),
            (false, Some("the master's is AAC HE-AAC"))
        );
        // A whole-clip disclaimer leaves nothing to copy.
        let mut r = request(None);
        r.disclaimer = Some(Disclaimer { at: Some(DisclaimerPolicy::Whole), ..disclaimer() });
        let p = plan(&m, "bilibili", &r).unwrap();
        assert_eq!(
            texts(static_reasons(&p, &m, &accepting(&[]))),
            vec!["the disclaimer is on screen throughout (timing `whole`)"]
        );
    }
}
