//! A plan as ffmpeg arguments. Short clips seek on the input (`-ss` before
//! `-i`) so their cost does not grow with the master's length; user text is
//! never part of a filtergraph (the disclaimer arrives as a picture).

use std::ffi::OsString;
use std::path::Path;

use super::geometry::reframe_chain;
use super::smart::SmartPlan;
use super::{PlacedOverlay, VariantPlan};
use crate::disclaimer::Window;
use crate::tools::file_url;

fn secs(v: f64) -> String {
    format!("{v:.3}")
}

fn overlay_filter(base: &str, overlay: &PlacedOverlay, input_index: usize, output: &str) -> String {
    let enable = enable_terms(overlay).map(|e| format!(":enable='{e}'")).unwrap_or_default();
    format!("[{base}][{input_index}:v]overlay=x={}:y={}{enable}[{output}]", overlay.x, overlay.y)
}

/// When the overlay is on, as a timeline expression (`None`: always).
fn enable_terms(overlay: &PlacedOverlay) -> Option<String> {
    if overlay.windows.is_empty() {
        match (overlay.start > 0.0, overlay.end) {
            (_, Some(end)) => Some(format!("between(t,{},{})", secs(overlay.start), secs(end))),
            (true, None) => Some(format!("gte(t,{})", secs(overlay.start))),
            (false, None) => None,
        }
    } else {
        // Separate windows (start-end timing). The last one runs to the end
        // of the clip, where a fractional frame could fall past its `end`.
        let n = overlay.windows.len();
        let terms: Vec<String> = overlay
            .windows
            .iter()
            .enumerate()
            .map(|(i, w)| {
                if i + 1 == n && overlay.end.is_none() {
                    format!("gte(t,{})", secs(w.start))
                } else {
                    format!("between(t,{},{})", secs(w.start), secs(w.end))
                }
            })
            .collect();
        Some(terms.join("+"))
    }
}

impl VariantPlan {
    /// Arguments (after the program name) that render the video to `output`
    /// and, given `cover`, the cover JPEG from the same decode (see
    /// [`Self::cover_branch`]): a second ffmpeg run would seek and decode
    /// the master again.
    pub fn ffmpeg_args(&self, output: &Path, cover: Option<&Path>) -> Vec<OsString> {
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
            args.extend(self.silent_audio_input());
            next_input += 1;
            next_input - 1
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
        let video_in = match cover {
            Some(_) => {
                graph.push(format!("[{video_in}]split=2[source][cover_source]"));
                let branch = self.cover_branch("cover_source", next_input, &mut args);
                graph.extend(branch);
                "source".to_owned()
            }
            None => video_in,
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

        let mut tail: Vec<String> = vec!["-filter_complex".into(), graph.join(";"), "-map".into(), "[vout]".into()];
        if let Some(a) = audio_map {
            tail.extend(["-map".into(), a]);
        }
        tail.extend(self.video_args(self.video_encoder.as_deref()));
        if self.master_has_audio || self.silent_audio {
            tail.extend(self.aac_args());
        }
        // Also cap the output: a fractional-rate master can make the fps
        // filter emit a frame or two past the input's end.
        tail.extend(["-t".to_owned(), secs(self.duration)]);
        // The master's own tags are dropped; a marked variant gets the
        // implicit AI label as an `AIGC` tag, which the MP4 muxer writes
        // (as an mdta key) only with `use_metadata_tags`.
        tail.extend(["-map_metadata", "-1", "-map_chapters", "-1"].map(str::to_owned));
        if let Some(l) = &self.ai_label {
            tail.extend([
                "-metadata".to_owned(),
                format!("AIGC={}", l.record.implicit),
                "-movflags".to_owned(),
                "+use_metadata_tags".to_owned(),
            ]);
        }
        // Two frames over: the fps filter may emit one past the end before `-t` stops it.
        tail.extend(self.index_first_args((self.duration * f64::from(self.fps)).ceil() as u64 + 2));
        tail.extend(["-f", "mp4", "-y"].map(str::to_owned));
        args.extend(tail.into_iter().map(OsString::from));
        args.push(file_url(output));
        if let Some(cover) = cover {
            args.extend(["-map".into(), "[cover]".into()]);
            args.extend(cover_output_args());
            args.push(file_url(cover));
        }
        args
    }

    /// The cover's filters, from the decoded `input` to `[cover]`: the one
    /// frame at the cover's time (the branch ends after it, so the render
    /// holds no frames for it), reframed to the cover's size with its
    /// overlays, whose pictures are added to `args` as inputs from
    /// `first_input` on.
    fn cover_branch(&self, input: &str, first_input: usize, args: &mut Vec<OsString>) -> Vec<String> {
        let c = &self.cover;
        // Output seconds: the cover lies in the first part (see `plan::plan`).
        let at = (c.at - self.segments.first().map_or(0.0, |s| s.start)).max(0.0);
        let mut graph = vec![format!("[{input}]trim=start={},trim=end_frame=1[cover_frame]", secs(at))];
        graph.extend(self.cover_filters("cover_frame", first_input, args));
        graph
    }

    /// The cover's reframing and overlays, from `input` to `[cover]`.
    fn cover_filters(&self, input: &str, first_input: usize, args: &mut Vec<OsString>) -> Vec<String> {
        let c = &self.cover;
        let mut graph = vec![reframe_chain(
            self.reframe,
            self.focus,
            (self.source_width, self.source_height),
            (c.width, c.height),
            input,
            "cover_framed",
        )];
        let mut last = "cover_framed";
        let mut index = first_input;
        let label = self.ai_label.as_ref().map(|l| &l.cover);
        for (overlay, name) in [(c.overlay.as_ref(), "cover_marked"), (label, "cover_labelled")] {
            if let Some(o) = overlay {
                args.extend(["-f".into(), "png_pipe".into(), "-i".into()]);
                args.push(file_url(&o.source.path));
                graph.push(overlay_filter(last, o, index, name));
                index += 1;
                last = name;
            }
        }
        graph.push(format!("[{last}]format=yuvj420p[cover]"));
        graph
    }

    /// The video encoder's settings: the profile's for x264 (also a smart
    /// render's re-encoded GOPs), or a hardware encoder's constant quality
    /// for the same CRF under the same caps.
    fn video_args(&self, hardware: Option<&str>) -> Vec<String> {
        let Some(name) = hardware else { return self.x264_args() };
        let mut args = vec!["-c:v".to_owned(), name.to_owned()];
        args.extend(crate::encoders::quality_args(name, self.encoder.crf));
        args.extend(self.caps_args());
        args
    }

    /// The profile's x264 settings, the same for a full render and a smart one's re-encoded GOPs.
    fn x264_args(&self) -> Vec<String> {
        let e = &self.encoder;
        let mut args: Vec<String> =
            ["-c:v", "libx264", "-preset", &e.x264_preset, "-crf", &e.crf.to_string()].map(str::to_owned).to_vec();
        args.extend(self.caps_args());
        args
    }

    /// What every encoder shares: the profile's bitrate cap, H.264 High, 4:2:0, its keyframe interval.
    fn caps_args(&self) -> Vec<String> {
        let e = &self.encoder;
        let gop = self.gop_frames();
        [
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
        .map(str::to_owned)
        .to_vec()
    }

    /// Frames between keyframes: the profile's keyframe interval at the output rate.
    pub fn gop_frames(&self) -> u32 {
        ((self.keyframe_interval * f64::from(self.fps)).round() as u32).max(1)
    }

    /// An MP4 whose index (`moov`) comes before its media, as `+faststart`
    /// gives, but written in one pass: room for the index is kept at the
    /// front and filled at the end. Faststart instead moves the index
    /// afterwards by reading and rewriting the whole file, which for a
    /// smart-rendered hour is 3.6 GB more through the disk.
    ///
    /// The room is the index's worst case for `video_frames` video samples
    /// and the variant's audio (every sample its own chunk and its own
    /// entry in every table), so the muxer cannot run short; what is left
    /// over is a `free` box, under 0.3 % of the file.
    fn index_first_args(&self, video_frames: u64) -> Vec<String> {
        const PER_SAMPLE: u64 = 48;
        const FIXED: u64 = 128 * 1024;
        let audio_frames = if self.master_has_audio || self.silent_audio {
            // AAC carries 1024 samples a frame; a 44.1 kHz master has fewer frames than this.
            let rate = f64::from(self.encoder.audio_sample_rate.max(48_000));
            (self.duration * rate / 1024.0 * 1.02).ceil() as u64 + 16
        } else {
            0
        };
        let room = PER_SAMPLE * (video_frames + audio_frames) + FIXED;
        vec!["-moov_size".to_owned(), room.to_string()]
    }

    /// A silent stereo track as long as the variant, for a master without sound.
    fn silent_audio_input(&self) -> [OsString; 6] {
        let source = format!("anullsrc=r={}:cl=stereo", self.encoder.audio_sample_rate);
        ["-f", "lavfi", "-t", &secs(self.duration), "-i", &source].map(OsString::from)
    }

    fn aac_args(&self) -> Vec<String> {
        let e = &self.encoder;
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
        .map(str::to_owned)
        .to_vec()
    }

    /// Smart render: the master's video from its keyframe at `start`
    /// (master seconds), `frames` of it (to the end when `None`),
    /// stream-copied as MPEG-TS to `out`: a re-encoded piece's cut, or
    /// (`pipe:1`) a copied stretch streamed straight into the join, so the
    /// copied hour is never written twice. Timestamps are the master's plus
    /// `shift`, which makes decode times start at zero.
    ///
    /// `-ss` is the keyframe's own time, read as a timestamp (not from the
    /// file's start): with B-frames the demuxer seeks on decode times, and
    /// only the keyframe's exact time finds that keyframe in every MP4
    /// layout. The frame count, not a duration, ends the stretch on the
    /// last frame before the next keyframe.
    pub fn smart_copy_args(
        &self,
        smart: &SmartPlan,
        start: f64,
        frames: Option<u64>,
        shift: f64,
        out: OsString,
    ) -> Vec<OsString> {
        let mut args: Vec<OsString> = Vec::new();
        if start > smart.first_pts + 0.5 / smart.frame_rate.max(1.0) {
            args.extend(["-seek_timestamp".into(), "1".into(), "-ss".into(), format!("{start:.6}").into()]);
        }
        args.extend(["-copyts".into(), "-itsoffset".into(), format!("{shift:.6}").into(), "-i".into()]);
        args.push(file_url(&self.master));
        args.extend(["-map", "0:v:0", "-c", "copy"].map(OsString::from));
        if let Some(n) = frames {
            args.extend(["-frames:v".into(), n.to_string().into()]);
        }
        args.extend(["-muxdelay", "0", "-muxpreload", "0", "-f", "mpegts", "-y"].map(OsString::from));
        args.push(out);
        args
    }

    /// Smart render: one piece's cut re-encoded with the overlays, its
    /// timestamps kept. `offset` turns output seconds into the piece's
    /// (master time plus the pieces' shift); `reorder` is the master's
    /// B-frame delay in frames, which the new GOPs must have too, so that
    /// decode times run on across each join. `first` is the output second
    /// of the piece's first frame, `frame` the master's frame duration.
    pub fn smart_reencode_args(
        &self,
        piece: &Path,
        out: &Path,
        offset: f64,
        first: f64,
        frame: f64,
        reorder: u32,
    ) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec!["-copyts".into(), "-i".into(), file_url(piece)];
        let mut graph = vec![reframe_chain(
            self.reframe,
            self.focus,
            (self.source_width, self.source_height),
            (self.width, self.height),
            "0:v:0",
            "framed",
        )];
        let mut last = "framed";
        if let Some(o) = &self.overlay {
            args.extend(["-f".into(), "png_pipe".into(), "-i".into()]);
            args.push(file_url(&o.source.path));
            // Half a frame wider on each side: the pieces' frame times are
            // not whole milliseconds, and a window printed to the millisecond
            // could miss its first frame. The frames it takes are the full
            // render's.
            let half = frame / 2.0;
            let windows = o.on_screen(self.duration);
            let shifted = PlacedOverlay {
                start: o.start + offset - half,
                end: o.end.map(|e| e + offset + half),
                windows: windows
                    .iter()
                    .map(|w| Window { start: w.start + offset - half, end: w.end + offset + half })
                    .collect(),
                ..o.clone()
            };
            // ffmpeg's overlay judges its very first frame at t = 0 whatever
            // that frame's timestamp (`-copyts` keeps the master's): that
            // frame is named by number when a window holds it.
            let mut enable = enable_terms(&shifted).unwrap_or_else(|| "1".into());
            if windows.iter().any(|w| w.start - half <= first && first <= w.end + half) {
                enable.push_str("+eq(n,0)");
            }
            graph.push(format!("[{last}][1:v]overlay=x={}:y={}:enable='{enable}'[marked]", o.x, o.y));
            last = "marked";
        }
        graph.push(format!("[{last}]format=yuv420p[vout]"));
        let mut tail: Vec<String> = vec!["-filter_complex".into(), graph.join(";"), "-map".into(), "[vout]".into()];
        tail.push("-an".into());
        tail.extend(self.x264_args());
        tail.extend(match reorder {
            0 => ["-bf", "0"].map(str::to_owned).to_vec(),
            1 => ["-bf", "3", "-x264-params", "b-pyramid=none"].map(str::to_owned).to_vec(),
            _ => ["-bf", "3", "-x264-params", "b-pyramid=normal"].map(str::to_owned).to_vec(),
        });
        tail.extend(
            ["-fps_mode", "passthrough", "-muxdelay", "0", "-muxpreload", "0", "-f", "mpegts", "-y"].map(str::to_owned),
        );
        args.extend(tail.into_iter().map(OsString::from));
        args.push(file_url(out));
        args
    }

    /// Smart render, the join: the pieces arrive on standard input as one
    /// MPEG-TS stream (copied stretches from the master, re-encoded pieces
    /// from their files, in order) and are written with the audio into an
    /// MP4 whose index comes first.
    pub fn smart_join_args(&self, smart: &SmartPlan, output: &Path) -> Vec<OsString> {
        // Deep input queues: with ffmpeg's default of 8 packets the reader
        // of a pipe and of the audio keep waiting on each other, and the join
        // takes four times as long as from files.
        let queue = || ["-thread_queue_size", "1024"].map(OsString::from);
        let mut args: Vec<OsString> = queue().to_vec();
        args.extend(["-f", "mpegts", "-i", "pipe:0"].map(OsString::from));
        let audio = if self.master_has_audio {
            args.extend(queue());
            args.extend(["-i".into(), file_url(&self.master)]);
            Some(if smart.copy_audio { vec!["-c:a".to_owned(), "copy".to_owned()] } else { self.aac_args() })
        } else if self.silent_audio {
            args.extend(queue());
            args.extend(self.silent_audio_input());
            Some(self.aac_args())
        } else {
            None
        };
        let mut tail: Vec<String> = ["-map", "0:v:0", "-c:v", "copy"].map(str::to_owned).to_vec();
        if let Some(codec) = audio {
            tail.extend(["-map".to_owned(), "1:a:0".to_owned()]);
            tail.extend(codec);
        }
        tail.extend(["-t".to_owned(), secs(self.duration)]);
        tail.extend(["-map_metadata", "-1", "-map_chapters", "-1"].map(str::to_owned));
        tail.extend(self.index_first_args(smart.frames));
        tail.extend(["-f", "mp4", "-y"].map(str::to_owned));
        args.extend(tail.into_iter().map(OsString::from));
        args.push(file_url(output));
        args
    }

    /// Arguments that write the cover JPEG to `output` on its own: one
    /// frame, seeking on the input, through the same reframing as the video
    /// (after a smart render, which decodes only part of the master).
    pub fn cover_args(&self, output: &Path) -> Vec<OsString> {
        let mut args: Vec<OsString> = ["-ss", &secs(self.cover.at), "-i"].map(OsString::from).to_vec();
        args.push(file_url(&self.master));
        let graph = self.cover_filters("0:v:0", 1, &mut args);
        args.extend(["-filter_complex".into(), graph.join(";").into(), "-map".into(), "[cover]".into()]);
        args.extend(cover_output_args());
        args.push(file_url(output));
        args
    }
}

/// One JPEG frame, written in place (a `%d` in the folder's name is no pattern).
fn cover_output_args() -> Vec<OsString> {
    ["-frames:v", "1", "-q:v", "2", "-c:v", "mjpeg", "-f", "image2", "-update", "1", "-y"].map(OsString::from).to_vec()
}
