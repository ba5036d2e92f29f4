//! Reads a master's streams with ffprobe and classifies unusable inputs with
//! errors a user can act on.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};
use crate::tools::{MediaTools, spawn_error};

/// What the planner needs to know about a master.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediaInfo {
    /// Absolute path, so ffmpeg never reads a leading `name:` as a protocol.
    pub path: PathBuf,
    pub container: String,
    pub duration: f64,
    pub size_bytes: u64,
    pub video: VideoInfo,
    pub audio: Option<AudioInfo>,
}

/// The first video stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VideoInfo {
    pub codec: String,
    /// Coded size, before rotation.
    pub width: u32,
    pub height: u32,
    /// Clockwise degrees the player turns the picture (0, 90, 180, 270).
    pub rotation: u32,
    /// Upright size as shown to the viewer (rotation and pixel aspect applied).
    pub display_width: u32,
    pub display_height: u32,
    /// Average frames per second.
    pub frame_rate: f64,
    /// As ffprobe reports it, e.g. `30000/1001`.
    pub frame_rate_text: String,
    /// True when the nominal and average rates differ (phone recordings).
    pub variable_frame_rate: bool,
    pub pix_fmt: Option<String>,
}

/// The first audio stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AudioInfo {
    pub codec: String,
    pub channels: u32,
    pub sample_rate: u32,
}

#[derive(Deserialize)]
struct ProbeJson {
    #[serde(default)]
    streams: Vec<StreamJson>,
    format: Option<FormatJson>,
}

#[derive(Deserialize)]
struct FormatJson {
    format_name: Option<String>,
    duration: Option<String>,
}

#[derive(Deserialize)]
struct StreamJson {
    codec_type: Option<String>,
    codec_name: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    r_frame_rate: Option<String>,
    avg_frame_rate: Option<String>,
    sample_aspect_ratio: Option<String>,
    pix_fmt: Option<String>,
    channels: Option<u32>,
    sample_rate: Option<String>,
    duration: Option<String>,
    #[serde(default)]
    side_data_list: Vec<serde_json::Value>,
    #[serde(default)]
    tags: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    disposition: serde_json::Map<String, serde_json::Value>,
}

/// Probes `path` with ffprobe.
#[tracing::instrument(skip(tools), fields(path = %path.display()))]
pub fn probe(tools: &MediaTools, path: &Path) -> Result<MediaInfo> {
    let path = std::path::absolute(path).map_err(|e| EngineError::io(format!("resolving {}", path.display()), e))?;
    let meta = std::fs::metadata(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => EngineError::InputMissing { path: path.clone() },
        _ => EngineError::io(format!("reading {}", path.display()), e),
    })?;
    if meta.is_dir() {
        return Err(EngineError::InputNotMedia { path, detail: "it is a folder".into() });
    }
    if meta.len() == 0 {
        return Err(EngineError::InputEmpty { path });
    }
    let stdout = ffprobe_output(tools, &path, &["-print_format", "json", "-show_format", "-show_streams"])?;
    let parsed: ProbeJson = serde_json::from_slice(&stdout).map_err(|e| EngineError::InputNotMedia {
        path: path.clone(),
        detail: format!("unreadable ffprobe output: {e}"),
    })?;
    from_probe_json(parsed, path, meta.len())
}

/// The master's keyframes, frame count and bitrates, for smart render: from
/// an MP4's index when ffprobe agrees with it, else from one pass over the
/// video's packets (no decoding); and a look at the audio stream.
#[tracing::instrument(skip(tools), fields(path = %path.display()))]
pub fn stream_facts(tools: &MediaTools, path: &Path) -> Result<crate::plan::smart::StreamFacts> {
    let indexed = std::fs::File::open(path).ok().and_then(|f| crate::mp4_index::read(&mut std::io::BufReader::new(f)));
    let video = match indexed {
        Some(index) if index_agrees(tools, path, &index.keyframes)? => index,
        found => {
            if found.is_some() {
                tracing::warn!("the MP4 index's keyframe times differ from ffprobe's; listing the packets");
            }
            scan_packets(tools, path)?
        }
    };
    let seconds =
        (video.last_pts - video.first_pts).max(1e-3) * (video.frames as f64) / ((video.frames - 1).max(1) as f64);
    let audio =
        ffprobe_text(tools, path, &["-select_streams", "a:0", "-show_entries", "stream=profile", "-of", "csv=p=0"])?;
    Ok(crate::plan::smart::StreamFacts {
        keyframes: video.keyframes,
        frames: video.frames,
        first_pts: video.first_pts,
        video_kbps: video.bytes as f64 * 8.0 / seconds / 1000.0,
        audio_profile: audio.lines().map(str::trim).find(|l| !l.is_empty()).map(str::to_owned),
    })
}

/// Whether ffprobe finds keyframes where the index says they are: the
/// first, one in the middle and the last, each the first packet after a
/// seek just past it (a seek reads the index, not the media). Edit lists are
/// where readers of MP4 differ, and they shift every time after them.
fn index_agrees(tools: &MediaTools, path: &Path, keyframes: &[f64]) -> Result<bool> {
    let (Some(&first), Some(&middle), Some(&last)) =
        (keyframes.first(), keyframes.get(keyframes.len() / 2), keyframes.last())
    else {
        return Ok(false);
    };
    let mut picks = vec![first, middle, last];
    picks.dedup();
    // 1 ms past the keyframe: before the next picture at any rate up to 1000 fps.
    let intervals: Vec<String> = picks.iter().map(|t| format!("{:.6}%+#1", t + 0.001)).collect();
    let text = video_packets_in(tools, path, &intervals.join(","), "pts_time")?;
    let found: Vec<f64> = text.lines().filter_map(|l| l.trim().parse().ok()).collect();
    Ok(found.len() == picks.len() && found.iter().zip(&picks).all(|(f, p)| (f - p).abs() < 1e-6))
}

/// The video's keyframes, frames and bytes from its packets, read one by one:
/// what [`crate::mp4_index`] reads from an MP4's index, for any container.
pub fn scan_packets(tools: &MediaTools, path: &Path) -> Result<crate::mp4_index::VideoIndex> {
    let packets = ffprobe_text(
        tools,
        path,
        &["-select_streams", "v:0", "-show_entries", "packet=pts_time,size,flags", "-of", "csv=p=0"],
    )?;
    let (mut keyframes, mut frames, mut bytes, mut first, mut last) = (Vec::new(), 0u64, 0u64, f64::INFINITY, 0.0f64);
    for line in packets.lines() {
        let mut fields = line.split(',');
        let (Some(pts), Some(size), Some(flags)) = (fields.next(), fields.next(), fields.next()) else { continue };
        let Ok(pts) = pts.parse::<f64>() else { continue };
        frames += 1;
        bytes += size.parse::<u64>().unwrap_or(0);
        first = first.min(pts);
        last = last.max(pts);
        if flags.starts_with('K') {
            keyframes.push(pts);
        }
    }
    if frames == 0 {
        return Err(EngineError::InputNoVideo { path: path.to_owned() });
    }
    keyframes.sort_by(f64::total_cmp);
    Ok(crate::mp4_index::VideoIndex { keyframes, frames, bytes, first_pts: first, last_pts: last })
}

/// ffprobe's output for `args` on `path`, as text.
fn ffprobe_text(tools: &MediaTools, path: &Path, args: &[&str]) -> Result<String> {
    Ok(String::from_utf8_lossy(&ffprobe_output(tools, path, args)?).into_owned())
}

/// ffprobe's standard output for `args` on `path`; a file it cannot read is
/// `InputNotMedia` with what ffprobe said about it.
fn ffprobe_output(tools: &MediaTools, path: &Path, args: &[&str]) -> Result<Vec<u8>> {
    let output = tools
        .ffprobe_command()
        .args(["-v", "error"])
        .args(args)
        .arg(crate::tools::file_url(path))
        .output()
        .map_err(|e| spawn_error("ffprobe", &path.display().to_string(), e))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(EngineError::InputNotMedia { path: path.to_owned(), detail: describe_probe_error(&stderr, path) });
    }
    Ok(output.stdout)
}

/// `fields` of the video packets ffprobe reads in `intervals` (its
/// `-read_intervals` syntax), one packet a line, comma-separated.
fn video_packets_in(tools: &MediaTools, path: &Path, intervals: &str, fields: &str) -> Result<String> {
    let entries = format!("packet={fields}");
    let args = ["-select_streams", "v:0", "-read_intervals", intervals, "-show_entries", &entries, "-of", "csv=p=0"];
    ffprobe_text(tools, path, &args)
}

/// The first video packet's presentation and decode times, in seconds.
pub fn first_video_packet(tools: &MediaTools, path: &Path) -> Result<(f64, f64)> {
    let text = video_packets_in(tools, path, "%+#1", "pts_time,dts_time")?;
    let line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default();
    let mut fields = line.split(',').map(|f| f.trim().parse::<f64>());
    match (fields.next(), fields.next()) {
        (Some(Ok(pts)), Some(Ok(dts))) => Ok((pts, dts)),
        _ => {
            Err(EngineError::InputNotMedia { path: path.to_owned(), detail: format!("no timed video packet ({line})") })
        }
    }
}

/// Video frames in the file: an MP4's sample count from its index, which
/// the muxer wrote packet by packet, read without touching the media (an
/// hour is 3.6 GB); counted from the packets when the file has no index.
pub fn video_frames(tools: &MediaTools, path: &Path) -> Result<u64> {
    // An MPEG-TS file lists its stream once more under its program: the first line is the count.
    let first = |text: &str| text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default().parse::<u64>();
    let text =
        ffprobe_text(tools, path, &["-select_streams", "v:0", "-show_entries", "stream=nb_frames", "-of", "csv=p=0"])?;
    if let Ok(n) = first(&text) {
        return Ok(n);
    }
    let text = ffprobe_text(
        tools,
        path,
        &["-select_streams", "v:0", "-count_packets", "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0"],
    )?;
    first(&text).map_err(|_| EngineError::InputNotMedia {
        path: path.to_owned(),
        detail: format!("unreadable frame count `{}`", text.trim()),
    })
}

/// ffprobe prefixes errors with the path; keep only what it says about the file.
fn describe_probe_error(stderr: &str, path: &Path) -> String {
    let shown = crate::tools::file_url(path).to_string_lossy().into_owned();
    if stderr.contains("moov atom not found") {
        return "moov atom not found: the file is incomplete, e.g. a recording that was cut off or a copy that did not finish"
            .into();
    }
    let line = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("unknown format");
    line.strip_prefix(&shown).map(|l| l.trim_start_matches(':').trim()).unwrap_or(line.trim()).to_owned()
}

fn from_probe_json(parsed: ProbeJson, path: PathBuf, size_bytes: u64) -> Result<MediaInfo> {
    let is_picture = |s: &&StreamJson| s.disposition.get("attached_pic").and_then(serde_json::Value::as_i64) == Some(1);
    let video_stream = parsed
        .streams
        .iter()
        .filter(|s| s.codec_type.as_deref() == Some("video"))
        .find(|s| !is_picture(s))
        .ok_or_else(|| EngineError::InputNoVideo { path: path.clone() })?;
    let audio_stream = parsed.streams.iter().find(|s| s.codec_type.as_deref() == Some("audio"));
    let format = parsed.format.as_ref();
    let duration = format
        .and_then(|f| f.duration.as_deref())
        .or(video_stream.duration.as_deref())
        .and_then(|d| d.parse::<f64>().ok())
        .filter(|d| d.is_finite())
        .unwrap_or(0.0);
    if duration <= 0.0 {
        return Err(EngineError::InputZeroDuration { path });
    }
    let (width, height) = match (video_stream.width, video_stream.height) {
        (Some(w), Some(h)) if w > 0 && h > 0 => (w, h),
        _ => return Err(EngineError::InputNoVideo { path }),
    };
    let rotation = rotation_of(video_stream);
    let sar = video_stream.sample_aspect_ratio.as_deref().and_then(parse_ratio).filter(|r| *r > 0.0).unwrap_or(1.0);
    let shown_width = ((f64::from(width) * sar).round() as u32).max(2);
    let (display_width, display_height) =
        if rotation % 180 == 90 { (height, shown_width) } else { (shown_width, height) };
    let avg = video_stream.avg_frame_rate.as_deref().and_then(parse_ratio).filter(|r| *r > 0.0);
    let nominal = video_stream.r_frame_rate.as_deref().and_then(parse_ratio).filter(|r| *r > 0.0);
    let frame_rate = avg.or(nominal).unwrap_or(30.0);
    let variable_frame_rate = matches!((avg, nominal), (Some(a), Some(n)) if (a - n).abs() > 0.01 * n);
    let frame_rate_text = video_stream
        .avg_frame_rate
        .clone()
        .filter(|t| parse_ratio(t).is_some_and(|r| r > 0.0))
        .or_else(|| video_stream.r_frame_rate.clone())
        .unwrap_or_default();
    Ok(MediaInfo {
        path,
        container: format.and_then(|f| f.format_name.clone()).unwrap_or_default(),
        duration,
        size_bytes,
        video: VideoInfo {
            codec: video_stream.codec_name.clone().unwrap_or_default(),
            width,
            height,
            rotation,
            display_width,
            display_height,
            frame_rate,
            frame_rate_text,
            variable_frame_rate,
            pix_fmt: video_stream.pix_fmt.clone(),
        },
        audio: audio_stream.map(|a| AudioInfo {
            codec: a.codec_name.clone().unwrap_or_default(),
            channels: a.channels.unwrap_or(0),
            sample_rate: a.sample_rate.as_deref().and_then(|r| r.parse().ok()).unwrap_or(0),
        }),
    })
}

/// Clockwise rotation a player applies: the display matrix's angle is
/// counter-clockwise, the legacy `rotate` tag clockwise.
fn rotation_of(stream: &StreamJson) -> u32 {
    let from_matrix =
        stream.side_data_list.iter().find_map(|sd| sd.get("rotation").and_then(serde_json::Value::as_f64));
    let degrees = match from_matrix {
        Some(ccw) => -ccw,
        None => stream.tags.get("rotate").and_then(|v| v.as_str()).and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0),
    };
    let quarter_turns = (degrees / 90.0).round() as i64;
    (quarter_turns.rem_euclid(4) * 90) as u32
}

fn parse_ratio(text: &str) -> Option<f64> {
    let (num, den) = text.split_once('/').unwrap_or((text, "1"));
    let (num, den): (f64, f64) = (num.trim().parse().ok()?, den.trim().parse().ok()?);
    (den != 0.0).then(|| num / den)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(json: serde_json::Value) -> StreamJson {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn rotation_from_display_matrix_and_tag() {
        assert_eq!(rotation_of(&stream(serde_json::json!({"side_data_list": [{"rotation": -90}]}))), 90);
        assert_eq!(rotation_of(&stream(serde_json::json!({"side_data_list": [{"rotation": 90}]}))), 270);
        assert_eq!(rotation_of(&stream(serde_json::json!({"tags": {"rotate": "180"}}))), 180);
        assert_eq!(rotation_of(&stream(serde_json::json!({}))), 0);
    }

    #[test]
    fn rotated_portrait_video_reports_upright_size() {
        let parsed: ProbeJson = serde_json::from_value(serde_json::json!({
            "streams": [{"codec_type": "video", "codec_name": "h264", "width": 1280, "height": 720,
                          "r_frame_rate": "30000/1001", "avg_frame_rate": "30000/1001",
                          "side_data_list": [{"rotation": -90}]}],
            "format": {"format_name": "mov,mp4", "duration": "3.0"}
        }))
        .unwrap();
        let info = from_probe_json(parsed, PathBuf::from("/x.mp4"), 10).unwrap();
        assert_eq!((info.video.display_width, info.video.display_height, info.video.rotation), (720, 1280, 90));
        assert!((info.video.frame_rate - 29.97).abs() < 0.01);
        assert!(info.audio.is_none());
    }
}
