//! `studio bench`: wall time of studio's standard set against plain ffmpeg
//! commands with the same settings, and against a naive plan that decodes
//! every clip from the start of the master. Figures, not a pass/fail test.

use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use studio_engine::plan::{PlanRequest, VariantPlan};
use studio_engine::platform::ReframeMode;
use studio_engine::queue::{Silent, run_queue};
use studio_engine::render::CancelToken;
use studio_engine::sample::{SampleSpec, generate};
use studio_engine::{EngineError, Result, Studio, StudioConfig};

pub fn run(studio: &Studio, minutes: f64, rounds: usize, out: &Path, clips_only: bool) -> Result<()> {
    studio.tools().check()?;
    let long_s = (minutes * 60.0).max(75.0);
    let long = out.join(format!("master-{long_s:.0}s.mp4"));
    let short = out.join("master-60s.mp4");
    for (path, seconds) in [(&long, long_s), (&short, 60.0)] {
        if !path.exists() {
            eprintln!("generating {} ({seconds} s, 1920x1080)…", path.display());
            generate(studio.tools(), &SampleSpec { seconds, ..SampleSpec::default() }, path)?;
        }
    }
    let mut platforms = vec!["douyin", "xiaohongshu"];
    if !clips_only {
        platforms.push("bilibili");
    }
    // Near the end of the long master, so seeking cost would show.
    let long_start = long_s - 65.0;

    // Rounds alternate the two, so a slow minute of the machine falls on both.
    let (mut studio_times, mut hand_times, mut planned) = (Vec::new(), Vec::new(), Vec::new());
    for round in 1..=rounds.max(1) {
        eprintln!("round {round}: studio, standard set from the {long_s:.0} s master…");
        let (t, plans) = measure(|| studio_run(studio, &out.join("data-set"), &long, &platforms, long_start))?;
        studio_times.push(t);
        eprintln!("round {round}: by hand, a command per variant with the same settings…");
        let (h, ()) = measure(|| time_hand(studio, &plans))?;
        hand_times.push(h);
        planned = plans;
    }
    let plans = planned;
    eprintln!("the studio's own ffmpeg commands, run bare…");
    let (t_bare, ()) = measure(|| time_commands(studio, &plans, false))?;
    eprintln!("naive: every clip decoded from the start of the master…");
    let (t_naive, ()) = measure(|| time_commands(studio, &plans, true))?;

    eprintln!("studio: one douyin clip from each master…");
    let (t_clip_long, _) = measure(|| studio_run(studio, &out.join("data-long"), &long, &["douyin"], long_start))?;
    let (t_clip_short, _) = measure(|| studio_run(studio, &out.join("data-short"), &short, &["douyin"], 30.0))?;

    println!(
        "Repurpose Studio benchmark (this machine: {} cores, {} build; wall time, and CPU time where the OS tells)",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        if cfg!(debug_assertions) { "debug" } else { "release" }
    );
    println!(
        "set: {} from a {long_s:.0} s 1080p master, clips start at {long_start:.0} s (vertical: blurred fill; \
         full renders, no smart render); median of {} round(s)",
        platforms.join(" + "),
        studio_times.len()
    );
    let (s, h) = (median(&studio_times), median(&hand_times));
    println!("  studio (probe, plan, overlays, queue, render, covers, checks)  {}", s.show());
    println!("  by hand, one ffmpeg command per variant, same settings         {}", h.show());
    println!("  studio/hand  {}", ratios(&studio_times, &hand_times));
    println!("  the studio's ffmpeg commands alone (covers too), run bare     {}", t_bare.show());
    println!("  bare/hand    {}", ratios(&[t_bare], &[h]));
    println!("  naive plan, clips decoded from the start                       {}", t_naive.show());
    println!("  naive/hand   {}", ratios(&[t_naive], &[h]));
    println!("douyin 15 s clip:");
    println!("  from the 60 s master          {}", t_clip_short.show());
    println!(
        "  from the {long_s:.0} s master{}{}",
        " ".repeat(17usize.saturating_sub(format!("{long_s:.0}").len())),
        t_clip_long.show()
    );
    println!("  long/short   {}", ratios(&[t_clip_long], &[t_clip_short]));
    Ok(())
}

/// Wall and CPU seconds of one measured step.
#[derive(Debug, Clone, Copy)]
struct Took {
    wall: f64,
    cpu: Option<f64>,
}

impl Took {
    fn show(&self) -> String {
        match self.cpu {
            Some(cpu) => format!("{:8.2} s wall  {cpu:8.2} s CPU", self.wall),
            None => format!("{:8.2} s wall", self.wall),
        }
    }
}

fn measure<T>(step: impl FnOnce() -> Result<T>) -> Result<(Took, T)> {
    let (cpu, t) = (studio_engine::process::cpu_seconds(), Instant::now());
    let value = step()?;
    let wall = t.elapsed().as_secs_f64();
    let cpu = cpu.zip(studio_engine::process::cpu_seconds()).map(|(a, b)| b - a);
    Ok((Took { wall, cpu }, value))
}

fn median(times: &[Took]) -> Took {
    let mid = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let cpu: Option<Vec<f64>> = times.iter().map(|t| t.cpu).collect();
    Took { wall: mid(times.iter().map(|t| t.wall).collect()), cpu: cpu.map(mid) }
}

/// `a/b` per round: the median, and the spread when there are several.
fn ratios(a: &[Took], b: &[Took]) -> String {
    let per = |f: fn(&Took) -> Option<f64>| -> Option<Vec<f64>> {
        a.iter().zip(b).map(|(x, y)| Some(f(x)? / f(y)?)).collect()
    };
    let show = |v: Option<Vec<f64>>| match v {
        Some(mut v) if !v.is_empty() => {
            v.sort_by(f64::total_cmp);
            let m = v[v.len() / 2];
            if v.len() > 1 { format!("{m:.3} ({:.3}–{:.3})", v[0], v[v.len() - 1]) } else { format!("{m:.3}") }
        }
        _ => "—".to_owned(),
    };
    format!("= {} wall, {} CPU", show(per(|t| Some(t.wall))), show(per(|t| t.cpu)))
}

/// Scan time of a 10,000-character article (commentary with some violations
/// and disclosures mixed in), over many runs.
pub fn scan(studio: &Studio) {
    const PARAGRAPH: &str = "今日沪深两市成交额约1.2万亿元，较上一交易日小幅放量，北向资金全天净买入52亿元。\
        银行板块整体估值处于历史低位，股息率较高；新能源汽车销量同比增长35%。\
        有人说这只基金稳赚不赔，还能冲到4000点，这种说法不可信，本产品不保证收益。\
        The index closed 0.5% higher as tech shares rebounded; nothing here is risk-free.\
        投资有风险，入市需谨慎。本内容仅供参考，不构成投资建议。\n";
    let mut article = String::new();
    while article.chars().count() < 10_000 {
        article.push_str(PARAGRAPH);
    }
    let article: String = article.chars().take(10_000).collect();
    let texts = [studio_engine::compliance::PublishText::new("article", article)];
    let lexicon = studio.lexicon();
    let findings = lexicon.scan(&texts).len();
    let mut times: Vec<f64> = (0..200)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(lexicon.scan(std::hint::black_box(&texts)));
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!("compliance scan of a 10,000-character article ({findings} findings), 200 runs:");
    println!("  median {:.3} ms   p99 {:.3} ms   max {:.3} ms", times[100], times[197], times[199]);
    println!("  ({} build)", if cfg!(debug_assertions) { "debug" } else { "release" });
}

/// The scanner on a labelled set: the figures, then every miss. Fails
/// (exit 1) when a target is missed, so it can gate a rule change.
pub fn compliance(studio: &Studio, set: &Path) -> Result<std::process::ExitCode> {
    use studio_engine::compliance::eval::{evaluate, read_labelled};
    let text = std::fs::read_to_string(set)
        .map_err(|e| EngineError::io(format!("reading the labelled set {}", set.display()), e))?;
    let sentences = read_labelled(&set.display().to_string(), &text)?;
    let e = evaluate(studio.lexicon(), &sentences);
    println!("compliance scanner on {}", set.display());
    print!("{}", e.report());
    let met = e.block_recall() >= 0.97 && e.warn_recall() >= 0.95 && e.precision() >= 0.95;
    println!(
        "targets: block recall ≥ 97 %, warn recall ≥ 95 %, precision ≥ 95 %: {}",
        if met { "met" } else { "NOT met" }
    );
    Ok(if met { std::process::ExitCode::SUCCESS } else { std::process::ExitCode::FAILURE })
}

/// Cards per second for a 10,000-character article (layout and PNG encoding).
pub fn cards(studio: &Studio, out: &Path) -> Result<()> {
    const PARAGRAPH: &str = "定投的核心在于纪律，而不是择时。很多人在市场下跌时停止扣款，在上涨时又加大投入。\
        Vanguard 的研究显示，长期来看 dollar-cost averaging 能平滑成本，但并不能保证收益；\
        2015 年到 2024 年间，沪深300 指数经历了 3 次超过 30% 的回撤。";
    let mut md = String::from("# 基金定投的十个问题\n\n");
    let mut n = 0;
    while md.chars().count() < 10_000 {
        n += 1;
        md.push_str(&format!("## 第{n}个问题\n\n{PARAGRAPH}\n\n{PARAGRAPH}\n\n"));
    }
    std::fs::create_dir_all(out).map_err(|e| EngineError::io("creating the benchmark folder", e))?;
    let article = out.join("bench-article.md");
    std::fs::write(&article, &md).map_err(|e| EngineError::io("writing the article", e))?;
    let request = studio_engine::notes::NoteRequest {
        platform: "douyin-notes".into(),
        theme: "light".into(),
        disclaimer: studio.disclaimer(Some("risk-zh"), None, None, None)?,
        cross_line: None,
        ai: None,
    };
    // The first run loads the system fonts; time the ones after it.
    studio.make_note(&article, &request, out)?;
    let runs = 3;
    let t = Instant::now();
    let mut cards = 0;
    for _ in 0..runs {
        cards += studio.make_note(&article, &request, out)?.cards.len();
    }
    let secs = t.elapsed().as_secs_f64();
    println!("cards for a {}-character article: {} per run, {runs} runs", md.chars().count(), cards / runs);
    println!(
        "  {:.1} ms per 1080x1440 card (layout + PNG), {:.1} cards/s",
        secs * 1000.0 / cards as f64,
        cards as f64 / secs
    );
    println!("  ({} build)", if cfg!(debug_assertions) { "debug" } else { "release" });
    Ok(())
}

/// Everything a user's `studio render` does, in a fresh data folder.
fn studio_run(base: &Studio, data: &Path, master: &Path, platforms: &[&str], start: f64) -> Result<Vec<VariantPlan>> {
    // Full renders: the comparison is with hand-written full re-encodes.
    let studio = fresh_studio(base, data, false)?;
    let media = studio.probe(master)?;
    let request = PlanRequest {
        start: Some(start),
        disclaimer: Some(studio.disclaimer(Some("risk-zh"), None, None, None)?),
        ..PlanRequest::default()
    };
    let plans = platforms
        .iter()
        .map(|p| {
            // Blurred fill for the vertical frames, the profile's fit for 16:9.
            let vertical = studio.platforms().get(p)?.video.as_ref().is_some_and(|v| v.height > v.width);
            let reframe = vertical.then_some(ReframeMode::BlurredFill);
            studio.plan(&media, p, &PlanRequest { reframe, ..request.clone() }, &data.join("out"))
        })
        .collect::<Result<Vec<_>>>()?;
    studio.enqueue("bench", &media, &plans)?;
    let jobs = run_queue(&studio, &Silent, &CancelToken::default())?;
    if let Some(bad) = jobs.iter().find(|j| j.error.is_some()) {
        return Err(EngineError::InvalidArgument(format!("benchmark render failed: {:?}", bad.error)));
    }
    Ok(plans)
}

/// A studio in an emptied `data` folder with `base`'s ffmpeg and fonts;
/// `smart` as given (the standard set is measured as full renders). It
/// keeps `base`'s list of the machine's hardware encoders, as a user's data
/// folder does after its first run: the test encodes are not timed.
pub fn fresh_studio(base: &Studio, data: &Path, smart: bool) -> Result<Studio> {
    let _ = std::fs::remove_dir_all(data);
    std::fs::create_dir_all(data).map_err(|e| EngineError::io("creating the benchmark folder", e))?;
    base.encoder_choice();
    let _ = std::fs::copy(base.config().data_dir.join("encoders.json"), data.join("encoders.json"));
    let mut config = StudioConfig::new(data.to_owned());
    config.ffmpeg = base.config().ffmpeg.clone();
    config.fonts = base.config().fonts.clone();
    config.smart_render = smart;
    Studio::open(config)
}

/// What a careful hand types for each variant: input seeking, the frame
/// reframed with ffmpeg's own sizing options, the disclaimer picture over
/// its windows, the profile's encoder settings; one command, no cover.
fn time_hand(studio: &Studio, plans: &[VariantPlan]) -> Result<()> {
    for plan in plans {
        let dir = plan.output.with_file_name("hand");
        std::fs::create_dir_all(&dir).map_err(|e| EngineError::io("creating the benchmark folder", e))?;
        run_ffmpeg(studio, &hand_args(plan, &dir.join("v.mp4")))?;
    }
    Ok(())
}

fn hand_args(plan: &VariantPlan, output: &Path) -> Vec<OsString> {
    let (w, h) = (plan.width, plan.height);
    let seg = plan.segments[0];
    let mut args: Vec<String> = ["-ss", &format!("{:.3}", seg.start), "-t", &format!("{:.3}", seg.duration()), "-i"]
        .map(str::to_owned)
        .to_vec();
    args.push(plan.master.display().to_string());
    // A careful hand knows when the master already has the frame's shape.
    let same_shape = u64::from(plan.source_width) * u64::from(h) == u64::from(plan.source_height) * u64::from(w);
    let frame = match plan.reframe {
        _ if same_shape => format!("[0:v]scale={w}:{h}[f]"),
        ReframeMode::Crop => format!("[0:v]scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h}[f]"),
        ReframeMode::Fit => {
            format!("[0:v]scale={w}:{h}:force_original_aspect_ratio=decrease,pad={w}:{h}:(ow-iw)/2:(oh-ih)/2[f]")
        }
        ReframeMode::BlurredFill => {
            let (bw, bh) = (w / 4, h / 4);
            format!(
                "[0:v]split[bg][fg];\
                 [bg]scale={bw}:{bh}:force_original_aspect_ratio=increase,crop={bw}:{bh},boxblur=10:2,scale={w}:{h}[b];\
                 [fg]scale={w}:{h}:force_original_aspect_ratio=decrease[s];[b][s]overlay=(W-w)/2:(H-h)/2[f]"
            )
        }
    };
    let mut graph = vec![format!("{frame};[f]fps={}[t]", plan.fps)];
    let mut last = "t";
    if let Some(o) = &plan.overlay {
        args.extend(["-i".to_owned(), o.source.path.display().to_string()]);
        let enable: Vec<String> =
            o.on_screen(plan.duration).iter().map(|w| format!("between(t,{:.3},{:.3})", w.start, w.end)).collect();
        graph.push(format!("[t][1:v]overlay={}:{}:enable='{}'[v]", o.x, o.y, enable.join("+")));
        last = "v";
    }
    let e = &plan.encoder;
    let gop = plan.gop_frames();
    args.extend(["-filter_complex".to_owned(), graph.join(";"), "-map".to_owned(), format!("[{last}]")]);
    args.extend(["-map", "0:a", "-c:v", "libx264", "-preset", &e.x264_preset].map(str::to_owned));
    args.extend(["-crf".to_owned(), e.crf.to_string(), "-maxrate".to_owned(), format!("{}k", e.max_bitrate_kbps)]);
    args.extend(["-bufsize".to_owned(), format!("{}k", e.max_bitrate_kbps * 2), "-g".to_owned(), gop.to_string()]);
    args.extend(["-profile:v", "high", "-pix_fmt", "yuv420p", "-c:a", "aac"].map(str::to_owned));
    args.extend(["-b:a".to_owned(), format!("{}k", e.audio_bitrate_kbps)]);
    args.extend(["-ar".to_owned(), e.audio_sample_rate.to_string(), "-ac".to_owned(), "2".to_owned()]);
    args.extend(["-movflags", "+faststart", "-y"].map(str::to_owned));
    args.push(output.display().to_string());
    args.into_iter().map(OsString::from).collect()
}

fn run_ffmpeg(studio: &Studio, args: &[OsString]) -> Result<()> {
    let status = Command::new(&studio.tools().ffmpeg)
        .args(["-hide_banner", "-loglevel", "error", "-nostdin"])
        .args(args)
        .stdout(Stdio::null())
        .status()
        .map_err(|e| EngineError::io("running ffmpeg", e))?;
    if !status.success() {
        return Err(EngineError::InvalidArgument(format!("ffmpeg failed: {status}")));
    }
    Ok(())
}

/// Runs each plan's video command (its cover from the same decode)
/// directly; `naive` moves every
/// `-ss` after its `-i`, so ffmpeg decodes from the start and discards.
fn time_commands(studio: &Studio, plans: &[VariantPlan], naive: bool) -> Result<()> {
    for plan in plans {
        let dir = plan.output.with_file_name("plain");
        std::fs::create_dir_all(&dir).map_err(|e| EngineError::io("creating the benchmark folder", e))?;
        let mut args = plan.ffmpeg_args(&dir.join("v.mp4"), Some(&dir.join("c.jpg")));
        if naive {
            args = output_seeking(args);
        }
        run_ffmpeg(studio, &args)?;
    }
    Ok(())
}

fn output_seeking(args: Vec<OsString>) -> Vec<OsString> {
    let mut out: Vec<OsString> = Vec::with_capacity(args.len() + 2);
    let mut seek: Option<f64> = None;
    let mut seen_input = false;
    let mut iter = args.into_iter();
    while let Some(a) = iter.next() {
        let value = |v: Option<OsString>| v.and_then(|v| v.to_str().and_then(|s| s.parse::<f64>().ok()));
        if a == "-ss" && !seen_input {
            seek = value(iter.next());
        } else if a == "-t" && !seen_input {
            // Read from 0 up to where the clip ends.
            let t = value(iter.next()).unwrap_or(0.0) + seek.unwrap_or(0.0);
            out.extend(["-t".into(), format!("{t:.3}").into()]);
        } else {
            seen_input |= a == "-i";
            out.push(a);
        }
    }
    if let Some(ss) = seek {
        // As an output option: decode from the start, drop frames before ss.
        let at = out.len().saturating_sub(1);
        out.splice(at..at, ["-ss".into(), format!("{ss:.3}").into()]);
    }
    out
}
