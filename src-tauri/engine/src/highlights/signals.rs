//! What a master sounds and looks like over time, measured in one ffmpeg
//! pass that never decodes every picture: the audio as 8 kHz mono samples
//! (loudness every 50 ms), and only the keyframes (`-skip_frame nokey`),
//! shrunk to 64x36 grey, whose differences mark scene cuts. Encoders put a
//! keyframe at a cut, so the keyframes see the cuts that matter.

use std::io::Read;
use std::path::Path;
use std::process::Stdio;

use crate::error::{EngineError, Result};
use crate::tools::{MediaTools, file_url};

/// Seconds per loudness step.
pub const STEP: f64 = 0.05;
const RATE: usize = 8000;
const THUMB: (usize, usize) = (64, 36);
/// Mean grey-level change between two keyframes that counts as a cut.
const CUT_DIFF: f64 = 28.0;

/// The measured master.
#[derive(Debug, Clone, PartialEq)]
pub struct Signals {
    /// Loudness (dBFS) of each 50 ms step; empty without audio.
    pub db: Vec<f32>,
    /// Seconds at which the picture changes (scene cuts).
    pub cuts: Vec<f64>,
    /// How many keyframes were looked at.
    pub keyframes: usize,
    pub duration: f64,
}

/// Measures `master` (`duration` seconds, with or without audio).
pub fn measure(tools: &MediaTools, master: &Path, duration: f64, has_audio: bool) -> Result<Signals> {
    // Removed on every path out, errors included.
    let dir = tempfile::Builder::new()
        .prefix("studio-suggest-")
        .tempdir()
        .map_err(|e| EngineError::io("creating a folder for the keyframe thumbnails", e))?;
    let thumbs = dir.path().join("keyframes.gray");
    let mut cmd = crate::process::tool_command(&tools.ffmpeg);
    cmd.args(["-nostdin", "-hide_banner", "-loglevel", "info", "-y", "-skip_frame", "nokey", "-i"])
        .arg(file_url(master))
        .args(["-map", "0:v:0", "-fps_mode", "passthrough", "-an", "-vf"])
        .arg(format!("scale={}:{},format=gray,showinfo", THUMB.0, THUMB.1))
        .args(["-f", "rawvideo"])
        .arg(file_url(&thumbs));
    if has_audio {
        cmd.args(["-map", "0:a:0", "-vn", "-ac", "1", "-ar", &RATE.to_string(), "-f", "s16le", "pipe:1"]);
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| EngineError::io("starting ffmpeg to analyse the master", e))?;
    // stderr carries showinfo's frame times; read it beside stdout so neither pipe fills.
    let mut stderr = child.stderr.take().ok_or_else(|| EngineError::internal("no ffmpeg stderr"))?;
    let log = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut db = Vec::new();
    if let Some(mut out) = child.stdout.take() {
        let per_step = (RATE as f64 * STEP) as usize * 2;
        let mut buf = vec![0u8; per_step];
        loop {
            match read_full(&mut out, &mut buf) {
                Ok(0) => break,
                Ok(n) => db.push(loudness(&buf[..n])),
                Err(e) => return Err(EngineError::io("reading the master's audio from ffmpeg", e)),
            }
        }
    }
    let status = child.wait().map_err(|e| EngineError::io("waiting for ffmpeg", e))?;
    let log = log.join().unwrap_or_default();
    if !status.success() {
        let tail: Vec<&str> = log.lines().rev().take(6).collect();
        return Err(EngineError::AnalysisFailed {
            master: master.to_owned(),
            status: status.to_string(),
            stderr_tail: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
        });
    }
    let times: Vec<f64> = log
        .lines()
        .filter(|l| l.contains("Parsed_showinfo"))
        .filter_map(|l| l.split("pts_time:").nth(1)?.split_whitespace().next()?.parse().ok())
        .collect();
    let pixels = std::fs::read(&thumbs).map_err(|e| EngineError::io("reading the keyframe thumbnails", e))?;
    let frame = THUMB.0 * THUMB.1;
    let thumbs: Vec<&[u8]> = pixels.chunks_exact(frame).collect();
    let cuts = thumbs
        .windows(2)
        .zip(times.iter().skip(1))
        .filter(|(pair, _)| mean_diff(pair[0], pair[1]) > CUT_DIFF)
        .map(|(_, t)| *t)
        .collect();
    Ok(Signals { db, cuts, keyframes: thumbs.len(), duration })
}

/// Fills `buf` unless the stream ends first; returns how much was read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut at = 0;
    while at < buf.len() {
        match r.read(&mut buf[at..]) {
            Ok(0) => break,
            Ok(n) => at += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(at)
}

/// RMS level of little-endian 16-bit samples, in dBFS (silence: -90).
fn loudness(bytes: &[u8]) -> f32 {
    let samples = bytes.chunks_exact(2).map(|b| f64::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0);
    let (sum, n) = samples.fold((0.0, 0usize), |(s, n), v| (s + v * v, n + 1));
    if n == 0 || sum <= 0.0 {
        return -90.0;
    }
    (10.0 * (sum / n as f64).log10()).max(-90.0) as f32
}

fn mean_diff(a: &[u8], b: &[u8]) -> f64 {
    a.iter().zip(b).map(|(x, y)| f64::from(x.abs_diff(*y))).sum::<f64>() / a.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::loudness;

    #[test]
    fn loudness_of_full_scale_and_silence() {
        let full: Vec<u8> = (0..800).flat_map(|i| if i % 2 == 0 { 32767i16 } else { -32767 }.to_le_bytes()).collect();
        assert!((loudness(&full) - 0.0).abs() < 0.01);
        assert_eq!(loudness(&[0; 1600]), -90.0);
    }
}
