//! The standard set from one master, checked the way a user would: ffprobe
//! facts, the disclaimer's pixels, the cover, and the database rows.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use studio_e2e::*;
use studio_engine::plan::PlanRequest;
use studio_engine::render::hash_file;
use studio_engine::store::JobState;

#[test]
fn standard_set_from_a_70_second_master() {
    let dir = tempfile::tempdir().unwrap();
    let master = dir.path().join("talk.mp4");
    make_master(&master, &Master { seconds: 70.0, size: (1280, 720), ..Master::default() });
    let studio = fast_studio(&dir.path().join("data"));
    let out = dir.path().join("out");
    let (plans, jobs) =
        render(&studio, &master, &["douyin", "xiaohongshu", "bilibili"], &request(&studio, Some(5.0)), &out);

    let expected =
        [("douyin", (1080, 1920), 15.0), ("xiaohongshu", (1080, 1440), 60.0), ("bilibili", (1920, 1080), 70.0)];
    for ((plan, job), (platform, size, seconds)) in plans.iter().zip(&jobs).zip(expected) {
        assert_eq!(plan.platform, platform);
        assert_eq!(job.state, JobState::Done);
        let duration = assert_platform_mp4(&job.output_path, size);
        assert_duration(duration, seconds);
        // The done row points at the complete file.
        let (bytes, sha) = hash_file(&job.output_path).unwrap();
        assert_eq!((Some(bytes), job.sha256.as_deref()), (job.size_bytes, Some(sha.as_str())));
        assert!(!studio_engine::render::partial_path(&job.output_path).exists());
        // Cover at the profile's cover size.
        let cover = job.cover_path.clone().unwrap();
        let profile = studio.platforms().get(platform).unwrap();
        let c = profile.cover.unwrap();
        assert_eq!(image_size(&cover), (u64::from(c.width), u64::from(c.height)));
        // It is the clip's own frame at the cover's time (taken from the render's decode),
        // not one from elsewhere in the master: compared above the disclaimer.
        let at = plan.cover.at - plan.segments[0].start;
        let (picture, w, _) = frame_rgb(&cover, 0.0);
        let o = plan.cover.overlay.as_ref().unwrap();
        let above = (0, 0, w, o.y.saturating_sub(8));
        let (same, _, _) = frame_rgb(&job.output_path, at);
        let (later, _, _) = frame_rgb(&job.output_path, at + 5.0);
        let (near, far) = (mean_diff(&picture, &same, w, above), mean_diff(&picture, &later, w, above));
        assert!(near < 4.0 && far > near + 2.0, "{platform} cover: {near} from its frame, {far} from one 5 s on");
    }
    let store = studio.store().unwrap();
    assert_eq!(store.variants().unwrap().len(), 3);
    assert_eq!(store.ready_variants().unwrap().len(), 3);
}

#[test]
fn a_start_end_disclaimer_is_on_screen_in_its_windows_only() {
    let dir = tempfile::tempdir().unwrap();
    let master = dir.path().join("talk.mp4");
    make_master(&master, &Master { seconds: 75.0, size: (640, 360), ..Master::default() });
    let studio = fast_studio(&dir.path().join("data"));
    let mut with = request(&studio, None);
    with.disclaimer.as_mut().unwrap().at = Some("start-end,every=1m".parse().unwrap());
    let without = PlanRequest { disclaimer: None, ..with.clone() };
    let (plans, jobs) = render(&studio, &master, &["bilibili"], &with, &dir.path().join("with"));
    let (_, bare) = render(&studio, &master, &["bilibili"], &without, &dir.path().join("without"));

    let o = plans[0].overlay.clone().unwrap();
    let windows: Vec<(f64, f64)> = o.on_screen(plans[0].duration).iter().map(|w| (w.start, w.end)).collect();
    assert_eq!(windows, vec![(0.0, 5.0), (60.0, 65.0), (70.0, 75.0)]);
    let area = (o.x, o.y, o.source.width, o.source.height);
    for (t, shown) in [(0.0, true), (4.9, true), (5.5, false), (30.0, false), (62.0, true), (66.0, false), (74.9, true)]
    {
        let (a, w, _) = frame_rgb(&jobs[0].output_path, t);
        let (b, _, _) = frame_rgb(&bare[0].output_path, t);
        let inside = mean_diff(&a, &b, w, area);
        if shown {
            assert!(inside > 20.0, "the disclaimer is on screen at {t} s (mean diff {inside})");
        } else {
            assert!(inside < 3.0, "the picture is the master's own at {t} s (mean diff {inside})");
        }
    }
    // Every window is at least 5 s, so review's on-screen rule is met.
    let (_, findings) = studio.check_variant(jobs[0].variant_id).unwrap();
    assert!(!findings.iter().any(|f| f.rule_id == "required.onscreen-risk"), "{findings:?}");
}

#[test]
fn disclaimer_pixels_are_inside_the_safe_zone() {
    let dir = tempfile::tempdir().unwrap();
    let master = dir.path().join("m.mp4");
    make_master(&master, &Master { seconds: 8.0, ..Master::default() });
    let studio = fast_studio(&dir.path().join("data"));
    let with = request(&studio, None);
    let without = PlanRequest { disclaimer: None, ..with.clone() };
    let (plans, jobs) = render(&studio, &master, &["douyin"], &with, &dir.path().join("with"));
    let (_, bare) = render(&studio, &master, &["douyin"], &without, &dir.path().join("without"));

    let overlay = plans[0].overlay.clone().unwrap();
    let zone = studio.platforms().get("douyin").unwrap().safe_zone;
    let (ox, oy, ow, oh) = (overlay.x, overlay.y, overlay.source.width, overlay.source.height);
    assert!(ox >= zone.left && ox + ow <= 1080 - zone.right && oy >= zone.top && oy + oh <= 1920 - zone.bottom);

    for t in [0.5, 4.0, 7.5] {
        let (a, w, _) = frame_rgb(&jobs[0].output_path, t);
        let (b, _, _) = frame_rgb(&bare[0].output_path, t);
        let inside = mean_diff(&a, &b, w, (ox, oy, ow, oh));
        let above = mean_diff(&a, &b, w, (0, 0, 1080, oy.saturating_sub(8)));
        assert!(inside > 20.0, "the disclaimer changes its box at {t} s (mean diff {inside})");
        assert!(above < 3.0, "nothing else changes at {t} s (mean diff {above})");
    }
    // The cover carries it too.
    let cover_box = plans[0].cover.overlay.clone().unwrap();
    let decode = |p: &std::path::Path| {
        let png = dir.path().join(format!("{}.png", p.file_name().unwrap().to_string_lossy()));
        let s = std::process::Command::new("ffmpeg")
            .args(["-v", "error", "-y", "-i"])
            .arg(p)
            .args(["-pix_fmt", "rgb24", "-f", "rawvideo"])
            .arg(&png)
            .status()
            .unwrap();
        assert!(s.success());
        std::fs::read(png).unwrap()
    };
    let a = decode(jobs[0].cover_path.as_ref().unwrap());
    let b = decode(bare[0].cover_path.as_ref().unwrap());
    let d = mean_diff(&a, &b, 1080, (cover_box.x, cover_box.y, cover_box.source.width, cover_box.source.height));
    assert!(d > 20.0, "cover disclaimer (mean diff {d})");
}

#[test]
fn segments_blurred_fill_and_focus() {
    let dir = tempfile::tempdir().unwrap();
    let master = dir.path().join("m.mp4");
    make_master(&master, &Master { seconds: 20.0, ..Master::default() });
    let studio = fast_studio(&dir.path().join("data"));
    let mut req = request(&studio, None);
    req.segments = vec![
        studio_engine::plan::Segment { start: 1.0, end: 4.0 },
        studio_engine::plan::Segment { start: 10.0, end: 13.0 },
    ];
    req.reframe = Some(studio_engine::platform::ReframeMode::BlurredFill);
    let (_, jobs) = render(&studio, &master, &["douyin"], &req, &dir.path().join("out"));
    let duration = assert_platform_mp4(&jobs[0].output_path, (1080, 1920));
    assert_duration(duration, 6.0);
}

#[test]
fn a_character_no_font_can_draw_is_reported_not_drawn_as_a_box() {
    let dir = tempfile::tempdir().unwrap();
    let master = dir.path().join("m.mp4");
    make_master(&master, &Master { seconds: 6.0, ..Master::default() });
    let studio = fast_studio(&dir.path().join("data"));
    let media = studio.probe(&master).unwrap();
    let mut req = request(&studio, None);
    // U+E000 is a private-use code point: no shipped or system font has it.
    req.disclaimer = Some(studio.disclaimer(None, Some("投资有风险\u{E000}"), None, None).unwrap());
    let err = studio.plan(&media, "douyin", &req, dir.path()).unwrap_err();
    assert_eq!(err.code(), "font_missing");
    assert!(err.to_string().contains("「\u{E000}」 (U+E000)") && err.to_string().contains("fonts-noto-cjk"), "{err}");
}
