//! A plan as ffmpeg arguments. Short clips seek on the input (`-ss` before
//! `-i`) so their cost does not grow with the master's length; user text is
//! never part of a filtergraph (the disclaimer arrives as a picture).

use std::ffi::OsString;
use std::path::Path;

use super::geometry::reframe_chain;
use super::{PlacedOverlay, VariantPlan};
use crate::tools::file_url;

fn secs(v: f64) -> String {
    format!("{v:.3}")
}

fn overlay_filter(base: &str, overlay: &PlacedOverlay, input_index: usize, output: &str) -> String {
    let enable = match (overlay.start > 0.0, overlay.end) {
        (_, Some(end)) => format!(":enable='between(t,{},{})'", secs(overlay.start), secs(end)),
        (true, None) => format!(":enable='gte(t,{})'", secs(overlay.start)),
        (false, None) => String::new(),
    };
    format!("[{base}][{input_index}:v]overlay=x={}:y={}{enable}[{output}]", overlay.x, overlay.y)
}

impl VariantPlan {
    /// Arguments (after the program name) that render the video to `output`.
    pub fn ffmpeg_args(&self, output: &Path) -> Vec<OsString> {
        let mut args: Vec<OsString> = Vec::new();
        for seg in &self.segments {
            if seg.start > 0.0 {
                args.extend(["-ss".into(), secs(seg.start).into()]);
            }
            args.extend(["-t".into(), secs(seg.duration()).into()]);
            args.push("-i".into());
            args.push(file_url(&self.master));
        }
        let mut next_input = self.segments.len();
        let overlay_input = self.overlay.as_ref().map(|o| {
            // One PNG as a byte stream: the image2 reader would take a `%d`
            // in the data folder's name for a frame-number pattern.
            args.extend(["-f".into(), "png_pipe".into(), "-i".into()]);
            args.push(file_url(&o.source.path));
            next_input += 1;
            next_input - 1
        });
        let label_input = self.ai_label.as_ref().map(|l| {
            args.extend(["-f".into(), "png_pipe".into(), "-i".into()]);
            args.push(file_url(&l.overlay.source.path));
            next_input += 1;
            next_input - 1
        });
        let caption_input = self.captions.as_ref().filter(|c| c.burn).and_then(|c| c.list.as_ref()).map(|list| {
            // Pictures and gaps from a list, never text: see `plan::captions`.
            // `-safe 0` allows the list's `option` lines; its entries are our own hex names.
            args.extend(["-f", "concat", "-safe", "0", "-i"].map(OsString::from));
            args.push(file_url(list));
            next_input += 1;
            next_input - 1
        });
        let silent_input = self.silent_audio.then(|| {
            let source = format!("anullsrc=r={}:cl=stereo", self.encoder.audio_sample_rate);
            args.extend(["-f", "lavfi", "-t", &secs(self.duration), "-i", &source].map(OsString::from));
            next_input
        });

        let mut graph = Vec::new();
        let n = self.segments.len();
        let with_audio = self.master_has_audio;
        let (video_in, audio_map) = if n == 1 {
            ("0:v:0".to_owned(), with_audio.then(|| "0:a:0".to_owned()))
        } else {
            let mut inputs = String::new();
            for i in 0..n {
                inputs.push_str(&format!("[{i}:v:0]"));
                if with_audio {
                    inputs.push_str(&format!("[{i}:a:0]"));
                }
            }
            let a = usize::from(with_audio);
            let outputs = if with_audio { "[cat_v][cat_a]" } else { "[cat_v]" };
            graph.push(format!("{inputs}concat=n={n}:v=1:a={a}{outputs}"));
            ("cat_v".to_owned(), with_audio.then(|| "[cat_a]".to_owned()))
        };
        graph.push(reframe_chain(
            self.reframe,
            self.focus,
            (self.source_width, self.source_height),
            (self.width, self.height),
            &video_in,
            "framed",
        ));
        graph.push(format!("[framed]fps={}[timed]", self.fps));
        let mut last = "timed";
        if let (Some(o), Some(i)) = (&self.overlay, overlay_input) {
            graph.push(overlay_filter(last, o, i, "marked"));
            last = "marked";
        }
        if let (Some(l), Some(i)) = (&self.ai_label, label_input) {
            graph.push(overlay_filter(last, &l.overlay, i, "labelled"));
            last = "labelled";
        }
        if let (Some(c), Some(i)) = (&self.captions, caption_input) {
            let b = &c.band;
            graph.push(format!("[{last}][{i}:v]overlay=x={}:y={}:eof_action=repeat[captioned]", b.x, b.y));
            last = "captioned";
        }
        graph.push(format!("[{last}]format=yuv420p[vout]"));
        let audio_map = audio_map.or_else(|| silent_input.map(|i| format!("{i}:a:0")));

        let e = &self.encoder;
        let gop = ((self.keyframe_interval * f64::from(self.fps)).round() as u32).max(1);
        let mut tail: Vec<String> = vec!["-filter_complex".into(), graph.join(";"), "-map".into(), "[vout]".into()];
        if let Some(a) = audio_map {
            tail.extend(["-map".into(), a]);
        }
        tail.extend(
            [
                "-c:v",
                "libx264",
                "-preset",
                &e.x264_preset,
                "-crf",
                &e.crf.to_string(),
                "-maxrate",
                &format!("{}k", e.max_bitrate_kbps),
                "-bufsize",
                &format!("{}k", e.max_bitrate_kbps * 2),
                "-profile:v",
                "high",
                "-pix_fmt",
                "yuv420p",
                "-g",
                &gop.to_string(),
            ]
            .map(str::to_owned),
        );
        if self.master_has_audio || self.silent_audio {
            tail.extend(
                [
                    "-c:a",
                    "aac",
                    "-b:a",
                    &format!("{}k", e.audio_bitrate_kbps),
                    "-ar",
                    &e.audio_sample_rate.to_string(),
                    "-ac",
                    "2",
                ]
                .map(str::to_owned),
            );
        }
        // Also cap the output: a fractional-rate master can make the fps
        // filter emit a frame or two past the input's end.
        tail.extend(["-t".to_owned(), secs(self.duration)]);
        // The master's own tags are dropped; a marked variant gets the
        // implicit AI label as an `AIGC` tag, which the MP4 muxer writes
        // (as an mdta key) only with `use_metadata_tags`.
        tail.extend(["-map_metadata", "-1", "-map_chapters", "-1"].map(str::to_owned));
        match &self.ai_label {
            Some(l) => tail.extend([
                "-metadata".to_owned(),
                format!("AIGC={}", l.record.implicit),
                "-movflags".to_owned(),
                "+faststart+use_metadata_tags".to_owned(),
            ]),
            None => tail.extend(["-movflags", "+faststart"].map(str::to_owned)),
        }
        tail.extend(["-f", "mp4", "-y"].map(str::to_owned));
        args.extend(tail.into_iter().map(OsString::from));
        args.push(file_url(output));
        args
    }

    /// Arguments that write the cover JPEG to `output`: one frame, seeking
    /// on the input, through the same reframing as the video.
    pub fn cover_args(&self, output: &Path) -> Vec<OsString> {
        let c = &self.cover;
        let mut args: Vec<OsString> = ["-ss", &secs(c.at), "-i"].map(OsString::from).to_vec();
        args.push(file_url(&self.master));
        let mut graph = vec![reframe_chain(
            self.reframe,
            self.focus,
            (self.source_width, self.source_height),
            (c.width, c.height),
            "0:v:0",
            "framed",
        )];
        let mut last = "framed";
        let label = self.ai_label.as_ref().map(|l| &l.cover);
        for (overlay, name) in [(c.overlay.as_ref(), "marked"), (label, "labelled")] {
            if let Some(o) = overlay {
                let index = args.iter().filter(|a| *a == "-i").count();
                args.extend(["-f".into(), "png_pipe".into(), "-i".into()]);
                args.push(file_url(&o.source.path));
                graph.push(overlay_filter(last, o, index, name));
                last = name;
            }
        }
        graph.push(format!("[{last}]format=yuvj420p[cover]"));
        args.extend(
            [
                "-filter_complex",
                &graph.join(";"),
                "-map",
                "[cover]",
                "-frames:v",
                "1",
                "-q:v",
                "2",
                "-c:v",
                "mjpeg",
                "-f",
                "image2",
                "-update",
                "1",
                "-y",
            ]
            .map(OsString::from),
        );
        args.push(file_url(output));
        args
    }
}
