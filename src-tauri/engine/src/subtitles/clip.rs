//! A master's cues, cut to a variant: the cues under each of its segments,
//! moved to the variant's clock (segments play one after another) and cut at
//! the segments' edges. A cue spanning a join of two touching segments stays
//! one cue.

use serde::{Deserialize, Serialize};

use super::{Cue, clock_ms};
use crate::plan::Segment;

/// A cue as a variant shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClipCue {
    /// The cue's number in the master's subtitles.
    pub number: u32,
    /// Seconds in the master (the part this variant shows).
    pub master_start: f64,
    pub master_end: f64,
    /// Seconds in the variant.
    pub start: f64,
    pub end: f64,
    pub text: String,
}

/// Cue pieces shorter than this (a cue grazing a segment's edge) are left out.
const MIN_PIECE: f64 = 0.001;

pub fn clip_cues(cues: &[Cue], segments: &[Segment]) -> Vec<ClipCue> {
    let mut out: Vec<ClipCue> = Vec::new();
    let mut offset = 0.0;
    for seg in segments {
        for cue in cues {
            let (from, to) = (cue.start().max(seg.start), cue.end().min(seg.end));
            if to - from < MIN_PIECE {
                continue;
            }
            let start = from - seg.start + offset;
            let end = to - seg.start + offset;
            match out.last_mut() {
                Some(last) if last.number == cue.number && (last.end - start).abs() < MIN_PIECE => {
                    last.end = end;
                    last.master_end = to;
                }
                _ => out.push(ClipCue {
                    number: cue.number,
                    master_start: from,
                    master_end: to,
                    start,
                    end,
                    text: cue.text.clone(),
                }),
            }
        }
        offset += seg.duration();
    }
    out
}

/// The variant's cues as an SRT file (UTF-8, CRLF: what Windows captioning
/// tools and the platforms' upload forms read most reliably).
pub fn to_srt(cues: &[ClipCue]) -> String {
    let ms = |s: f64| clock_ms((s.max(0.0) * 1000.0).round() as u64).replace('.', ",");
    let mut out = String::new();
    for (i, c) in cues.iter().enumerate() {
        out.push_str(&format!("{}\r\n{} --> {}\r\n", i + 1, ms(c.start), ms(c.end)));
        for line in c.text.lines() {
            out.push_str(line);
            out.push_str("\r\n");
        }
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cue(number: u32, start_ms: u64, end_ms: u64, text: &str) -> Cue {
        Cue { number, start_ms, end_ms, text: text.into(), line: 0 }
    }

    #[test]
    fn cues_follow_two_segments_onto_the_clip_clock_and_are_cut_at_the_edges() {
        let cues = [
            cue(1, 0, 2000, "一"),
            cue(2, 9000, 11_000, "二"),
            cue(3, 20_500, 22_000, "三"),
            cue(4, 30_000, 31_000, "四"),
        ];
        let segments = [Segment { start: 10.0, end: 15.0 }, Segment { start: 20.0, end: 25.0 }];
        let clipped = clip_cues(&cues, &segments);
        let got: Vec<(u32, f64, f64, f64)> =
            clipped.iter().map(|c| (c.number, c.start, c.end, c.master_start)).collect();
        assert_eq!(got, vec![(2, 0.0, 1.0, 10.0), (3, 5.5, 7.0, 20.5)]);
    }

    #[test]
    fn a_cue_across_touching_segments_stays_one() {
        let cues = [cue(1, 4000, 6000, "跨越")];
        let segments = [Segment { start: 0.0, end: 5.0 }, Segment { start: 5.0, end: 8.0 }];
        let clipped = clip_cues(&cues, &segments);
        assert_eq!(clipped.len(), 1);
        assert_eq!((clipped[0].start, clipped[0].end), (4.0, 6.0));
    }

    #[test]
    fn srt_output_is_numbered_from_one_with_commas() {
        let c = ClipCue {
            number: 7,
            master_start: 70.0,
            master_end: 72.5,
            start: 0.0,
            end: 2.5,
            text: "第一行\n第二行".into(),
        };
        assert_eq!(to_srt(&[c]), "1\r\n00:00:00,000 --> 00:00:02,500\r\n第一行\r\n第二行\r\n\r\n");
    }
}
