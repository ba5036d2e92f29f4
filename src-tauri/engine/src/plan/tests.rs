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
    Disclaimer { lines: vec!["投资有风险，入市需谨慎".into()], start: 0.0, duration: None }
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
    let a = args_text(&p.ffmpeg_args(Path::new("/out/x.part")));
    let i = a.iter().position(|s| s == "-i").unwrap();
    assert_eq!(&a[..i], ["-ss", "90.000", "-t", "15.000"], "seek before -i");
    for pair in [
        ["-c:v", "libx264"],
        ["-profile:v", "high"],
        ["-pix_fmt", "yuv420p"],
        ["-c:a", "aac"],
        ["-movflags", "+faststart"],
        ["-map", "0:a:0"],
        ["-g", "60"],
    ] {
        assert!(a.windows(2).any(|w| w == pair), "{pair:?} in {a:?}");
    }
    let graph = &a[a.iter().position(|s| s == "-filter_complex").unwrap() + 1];
    assert!(graph.contains("fps=30") && graph.contains("overlay=x=") && graph.contains("format=yuv420p"), "{graph}");
    assert_eq!(a.last().unwrap(), "file:/out/x.part", "the output as a file: URL, never read as a protocol");
}

#[test]
fn short_master_becomes_the_whole_clip_and_the_plan_says_so() {
    let p = plan(&media(8.0, (1280, 720), true), "douyin", &request(Some(3.0))).unwrap();
    assert_eq!(p.segments, vec![Segment { start: 0.0, end: 8.0 }]);
    assert!(p.notes.iter().any(|n| n.contains("whole master")), "{:?}", p.notes);
}

#[test]
fn clip_running_past_the_end_is_cut_and_noted() {
    let p = plan(&media(100.0, (1280, 720), true), "douyin", &request(Some(95.0))).unwrap();
    assert_eq!(p.duration, 5.0);
    assert!(p.notes.iter().any(|n| n.contains("shorter than the 15 s target")));
    let err = plan(&media(100.0, (1280, 720), true), "douyin", &request(Some(100.0))).unwrap_err();
    assert!(err.to_string().contains("past the end"), "{err}");
}

#[test]
fn full_version_ignores_the_clip_start() {
    let p = plan(&media(70.0, (1280, 720), true), "bilibili", &request(Some(30.0))).unwrap();
    assert_eq!(p.segments, vec![Segment { start: 0.0, end: 70.0 }]);
    let a = args_text(&p.ffmpeg_args(Path::new("/o")));
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
    let a = args_text(&p.ffmpeg_args(Path::new("/o"))).join(" ");
    assert!(a.contains("enable='between(t,2.000,7.000)'"), "{a}");
    let err = plan(&media(3.0, (1920, 1080), true), "douyin", &request(None)).unwrap_err();
    assert!(err.to_string().contains("clip itself is shorter"), "{err}");
}

#[test]
fn master_without_audio_gets_a_silent_track() {
    let p = plan(&media(30.0, (1920, 1080), false), "douyin", &request(None)).unwrap();
    assert!(p.silent_audio);
    let a = args_text(&p.ffmpeg_args(Path::new("/o")));
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
    let a = args_text(&p.ffmpeg_args(Path::new("/o")));
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
    let a = args_text(&p.ffmpeg_args(Path::new("/o"))).join(" ");
    assert!(a.contains("scale=1080:1920"), "an upright 9:16 master needs no crop: {a}");
}

#[test]
fn user_text_never_reaches_the_filtergraph() {
    let mut r = request(None);
    r.disclaimer =
        Some(Disclaimer { lines: vec!["it's 100%: C:\\path, 投资有风险".into()], start: 0.0, duration: None });
    let p = plan(&media(30.0, (1920, 1080), true), "douyin", &r).unwrap();
    let a = args_text(&p.ffmpeg_args(Path::new("/o"))).join(" ");
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
fn clock_round_trips() {
    assert_eq!(parse_clock("00:01:30").unwrap(), 90.0);
    assert_eq!(parse_clock("1:30.5").unwrap(), 90.5);
    assert_eq!(parse_clock("90").unwrap(), 90.0);
    assert!(parse_clock("abc").is_err() && parse_clock("-1").is_err());
    assert_eq!(clock(90.5), "00:01:30.500");
}
