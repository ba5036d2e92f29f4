//! `studio bench --captions`: what subtitles cost. Highlight analysis of a
//! long master against ffmpeg merely decoding its audio and keyframes (the
//! least any such analysis must do), and the standard set rendered with
//! burned-in captions against the same set without. Figures, not a test.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use studio_engine::plan::PlanRequest;
use studio_engine::queue::{Silent, run_queue};
use studio_engine::render::CancelToken;
use studio_engine::sample::{SampleSpec, generate};
use studio_engine::subtitles::clock_ms;
use studio_engine::{EngineError, Result, Studio};

use crate::bench::fresh_studio;

/// A talk's subtitles: a 2.6 s cue every 3 s, some with numbers and hooks.
fn talk_srt(seconds: f64) -> String {
    const LINES: [&str; 5] = [
        "今天我们聊聊基金定投的三个误区",
        "很多人觉得市场下跌就应该停止扣款",
        "其实长期坚持才是定投的关键",
        "为什么说分散投资可以降低波动？",
        "投资有风险，入市需谨慎",
    ];
    let mut out = String::new();
    for (i, start) in (0..(seconds / 3.0) as u64).map(|i| (i, i * 3000)) {
        out.push_str(&format!(
            "{}\n{} --> {}\n{}\n\n",
            i + 1,
            clock_ms(start).replace('.', ","),
            clock_ms(start + 2600).replace('.', ","),
            LINES[i as usize % LINES.len()]
        ));
    }
    out
}

/// A generated 1080p master. Past five minutes it is a five-minute piece
/// repeated by stream copy: decoding it costs what a recorded one of that
/// length costs, and making it costs minutes, not an hour of encoding.
fn master(studio: &Studio, out: &Path, seconds: f64) -> Result<std::path::PathBuf> {
    const PIECE: f64 = 300.0;
    let path = out.join(format!("talk-{seconds:.0}s.mp4"));
    if path.exists() {
        return Ok(path);
    }
    if seconds <= PIECE {
        eprintln!("generating {} ({seconds} s, 1920x1080)…", path.display());
        generate(studio.tools(), &SampleSpec { seconds, ..SampleSpec::default() }, &path)?;
        return Ok(path);
    }
    let piece = master(studio, out, PIECE)?;
    eprintln!("repeating {} to {seconds} s…", piece.display());
    let loops = (seconds / PIECE).ceil() as u32 - 1;
    let status = Command::new(&studio.tools().ffmpeg)
        .args(["-nostdin", "-v", "error", "-y", "-stream_loop", &loops.to_string(), "-i"])
        .arg(&piece)
        .args(["-c", "copy", "-t", &format!("{seconds}"), "-movflags", "+faststart"])
        .arg(&path)
        .status()
        .map_err(|e| EngineError::io("running ffmpeg", e))?;
    if !status.success() {
        return Err(EngineError::InvalidArgument(format!("ffmpeg repeating the bench master failed ({status})")));
    }
    Ok(path)
}

fn with_subtitles(studio: &Studio, master: &Path, seconds: f64, dir: &Path) -> Result<()> {
    let srt = dir.join("talk.srt");
    std::fs::write(&srt, talk_srt(seconds)).map_err(|e| EngineError::io("writing the bench subtitles", e))?;
    let id = studio.import_master(master, "bench")?.id;
    studio.add_subtitles(id, &srt, "bench")?;
    Ok(())
}

pub fn captions(base: &Studio, minutes: f64, out: &Path) -> Result<()> {
    base.tools().check()?;
    std::fs::create_dir_all(out).map_err(|e| EngineError::io(format!("creating {}", out.display()), e))?;
    let long_s = (minutes * 60.0).max(120.0);
    let long = master(base, out, long_s)?;

    eprintln!("suggest: analysing the {long_s:.0} s master…");
    let studio = fresh_studio(base, &out.join("data-suggest"), base.config().smart_render)?;
    with_subtitles(&studio, &long, long_s, out)?;
    let mut t_suggest = f64::INFINITY;
    let mut t_decode = f64::INFINITY;
    for _ in 0..2 {
        let t = Instant::now();
        let report = studio.suggest(&long, 15.0, 5)?;
        t_suggest = t_suggest.min(t.elapsed().as_secs_f64());
        std::hint::black_box(report);
        let t = Instant::now();
        let status = Command::new(&base.tools().ffmpeg)
            .args(["-nostdin", "-v", "error", "-skip_frame", "nokey", "-i"])
            .arg(&long)
            .args(["-map", "0:v:0", "-f", "null", "-", "-map", "0:a:0", "-f", "null", "-"])
            .stdout(Stdio::null())
            .status()
            .map_err(|e| EngineError::io("running ffmpeg", e))?;
        if !status.success() {
            return Err(EngineError::InvalidArgument(format!("ffmpeg decoding the master failed ({status})")));
        }
        t_decode = t_decode.min(t.elapsed().as_secs_f64());
    }

    let set_s = 300.0;
    let set_master = master(base, out, set_s)?;
    let platforms = ["douyin", "xiaohongshu", "bilibili"];
    let mut times = [0.0f64; 2];
    let mut pictures = 0;
    for (i, burn) in [false, true].into_iter().enumerate() {
        eprintln!("standard set from the {set_s:.0} s master, captions {}…", if burn { "on" } else { "off" });
        let data = out.join(if burn { "data-captions" } else { "data-bare" });
        let studio = fresh_studio(base, &data, base.config().smart_render)?;
        with_subtitles(&studio, &set_master, set_s, out)?;
        let t = Instant::now();
        let media = studio.probe(&set_master)?;
        let request = PlanRequest {
            start: Some(120.0),
            disclaimer: Some(studio.disclaimer(Some("risk-zh"), None, None, None)?),
            cues: studio.cues_for(&set_master)?,
            burn_captions: Some(burn),
            ..PlanRequest::default()
        };
        let plans = platforms
            .iter()
            .map(|p| studio.plan(&media, p, &request, &data.join("out")))
            .collect::<Result<Vec<_>>>()?;
        if burn {
            pictures = plans.iter().filter_map(|p| p.captions.as_ref()).map(|c| c.pictures.len()).sum();
        }
        studio.enqueue("bench", &media, &plans)?;
        let jobs = run_queue(&studio, &Silent, &CancelToken::default())?;
        if let Some(bad) = jobs.iter().find(|j| j.error.is_some()) {
            return Err(EngineError::InvalidArgument(format!("benchmark render failed: {:?}", bad.error)));
        }
        times[i] = t.elapsed().as_secs_f64();
    }

    println!(
        "Repurpose Studio captions benchmark (wall time, this machine: {} cores)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!("highlights of a {long_s:.0} s 1080p master with {} cues:", (long_s / 3.0) as u64);
    println!("  studio suggest (probe, analysis, ranking)           {t_suggest:8.2} s");
    println!(
        "  ffmpeg decoding audio + keyframes only             {t_decode:8.2} s   suggest/decode = {:.3} (target ≤ 1.5)",
        t_suggest / t_decode
    );
    println!("standard set ({}) from a {set_s:.0} s master, a cue every 3 s:", platforms.join(" + "));
    println!("  without captions                                    {:8.2} s", times[0]);
    println!(
        "  with burned-in captions ({pictures} pictures)            {:8.2} s   with/without = {:.3} (target ≤ 1.10)",
        times[1],
        times[1] / times[0]
    );
    Ok(())
}
