//! An MP4's own index, read instead of its packets: where the video's
//! keyframes are, and how many frames and bytes it has.
//!
//! Planning a smart render needs the master's keyframes. Listing its packets
//! with ffprobe reads the whole file: 3.6 GB for an hour-long 1080p talk,
//! seconds from the page cache and most of a minute from a laptop's disk
//! when the cache is cold. The index that says the same thing is a few
//! megabytes in the `moov` box, at the front or at the end of the file.
//!
//! The boxes are parsed by `mp4parse` (Firefox's MP4 parser, fuzzed there);
//! this module only finds them and turns the tables into presentation times
//! the way ffmpeg's demuxer does. Edit lists are where readers differ, so
//! the caller checks some of these times against ffprobe and lists the
//! packets when they disagree (see `probe::stream_facts`).

use std::io::{Cursor, Read, Seek, SeekFrom};

/// A `moov` box larger than this is not read into memory (an hour's is
/// about 3 MB; 512 MB would be days of video).
const MAX_HEADER_BOX: u64 = 512 << 20;

/// The first video track's samples, as ffmpeg presents them.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoIndex {
    /// Presentation times of the sync samples, in seconds, in order.
    pub keyframes: Vec<f64>,
    pub frames: u64,
    /// The samples' sizes added up.
    pub bytes: u64,
    /// The earliest and the latest sample's presentation time, in seconds.
    pub first_pts: f64,
    pub last_pts: f64,
}

/// The index of the file's first video track, or `None` when the file is no
/// plain MP4 or MOV with one: another container, a fragmented MP4 (its
/// samples are listed in fragments all through the file), or boxes that do
/// not parse. The caller then lists the packets instead.
pub fn read<R: Read + Seek>(file: &mut R) -> Option<VideoIndex> {
    let header = header_boxes(file)?;
    let context = mp4parse::read_mp4(&mut Cursor::new(header)).ok()?;
    if context.mvex.is_some() {
        return None;
    }
    let track = context.tracks.iter().find(|t| t.track_type == mp4parse::TrackType::Video)?;
    let timescale = track.timescale?.0;
    if timescale == 0 {
        return None;
    }
    let stts = track.stts.as_ref()?;
    // The counts are the file's word, not memory it holds: a corrupt or
    // hostile table may claim billions of samples in a few bytes, so the
    // walk below keeps nothing per sample but the keyframes.
    let frames: u64 = stts.samples.iter().map(|s| u64::from(s.sample_count)).sum();
    if frames == 0 || frames > MAX_FRAMES {
        return None;
    }
    let stsz = track.stsz.as_ref()?;
    let bytes = if stsz.sample_size != 0 {
        u64::from(stsz.sample_size) * frames
    } else if stsz.sample_sizes.len() as u64 == frames {
        stsz.sample_sizes.iter().map(|&s| u64::from(s)).sum()
    } else {
        return None;
    };

    // ffmpeg shows a sample at its composition time, minus where the edit
    // list starts the media, plus an empty edit's delay before it.
    let movie_timescale = context.timescale.map_or(0, |t| t.0);
    let delay = match (track.empty_duration, movie_timescale) {
        (Some(e), m) if m > 0 => i128::from(e.0) * i128::from(timescale) / i128::from(m),
        _ => 0,
    };
    let shift = i128::from(track.media_time.map_or(0, |t| t.0)) - delay;

    // Sync sample numbers (1-based), in order; none listed means all are.
    let sync: Option<Vec<u64>> = track.stss.as_ref().map(|stss| {
        let mut n: Vec<u64> = stss.samples.iter().map(|&n| u64::from(n)).collect();
        n.sort_unstable();
        n.dedup();
        n
    });
    if sync.is_none() && frames > MAX_ALL_SYNC {
        return None;
    }
    let mut offsets = CompositionOffsets::new(track.ctts.as_ref());
    let seconds = |ticks: i128| ticks as f64 / timescale as f64;
    let (mut keyframes, mut next_sync) = (Vec::new(), 0usize);
    let (mut dts, mut number, mut first, mut last) = (0i128, 0u64, i128::MAX, i128::MIN);
    for run in stts.samples.iter() {
        for _ in 0..run.sample_count {
            number += 1;
            let pts = dts + offsets.next()? - shift;
            (first, last) = (first.min(pts), last.max(pts));
            let is_sync = match &sync {
                Some(sync) => sync.get(next_sync) == Some(&number),
                None => true,
            };
            if is_sync {
                keyframes.push(seconds(pts));
                next_sync += 1;
            }
            dts += i128::from(run.sample_delta);
        }
    }
    // Every offset used, every sync sample found among the samples.
    if !offsets.done() || sync.is_some_and(|s| next_sync != s.len()) || keyframes.is_empty() {
        return None;
    }
    keyframes.sort_by(f64::total_cmp);
    Some(VideoIndex { keyframes, frames, bytes, first_pts: seconds(first), last_pts: seconds(last) })
}

/// More frames than this (460 hours at 30 fps) is a broken table, not a talk.
const MAX_FRAMES: u64 = 50_000_000;
/// An all-intra master lists no sync samples: every frame is a keyframe,
/// kept up to this many (an hour at 60 fps is 216,000).
const MAX_ALL_SYNC: u64 = 2_000_000;

/// The `ctts` runs, one sample's offset at a time (0 for all without one).
struct CompositionOffsets<'a> {
    runs: Option<std::slice::Iter<'a, mp4parse::TimeOffset>>,
    offset: i128,
    left: u32,
}

impl<'a> CompositionOffsets<'a> {
    fn new(ctts: Option<&'a mp4parse::CompositionOffsetBox>) -> Self {
        Self { runs: ctts.map(|c| c.samples[..].iter()), offset: 0, left: 0 }
    }

    /// The next sample's offset; `None` when the runs cover fewer samples.
    fn next(&mut self) -> Option<i128> {
        let Some(runs) = &mut self.runs else { return Some(0) };
        while self.left == 0 {
            let run = runs.next()?;
            self.left = run.sample_count;
            self.offset = match run.time_offset {
                mp4parse::TimeOffsetVersion::Version0(o) => i128::from(o),
                mp4parse::TimeOffsetVersion::Version1(o) => i128::from(o),
            };
        }
        self.left -= 1;
        Some(self.offset)
    }

    /// Whether the runs covered exactly the samples.
    fn done(&mut self) -> bool {
        self.left == 0 && self.runs.as_mut().is_none_or(|r| r.all(|run| run.sample_count == 0))
    }
}

/// The file's `ftyp` and `moov` boxes, one after the other, found by walking
/// the top-level boxes (seeking past `mdat`, however large). `None` for a
/// fragmented file, a truncated one, or one with no `moov`.
fn header_boxes<R: Read + Seek>(file: &mut R) -> Option<Vec<u8>> {
    let len = file.seek(SeekFrom::End(0)).ok()?;
    let (mut pos, mut out, mut found_moov) = (0u64, Vec::new(), false);
    while !found_moov && pos.checked_add(8)? <= len {
        file.seek(SeekFrom::Start(pos)).ok()?;
        let mut head = [0u8; 8];
        file.read_exact(&mut head).ok()?;
        let kind = &head[4..8];
        let size = match u32::from_be_bytes([head[0], head[1], head[2], head[3]]) {
            // A 64-bit size follows the type.
            1 => {
                let mut large = [0u8; 8];
                file.read_exact(&mut large).ok()?;
                u64::from_be_bytes(large)
            }
            // The box runs to the end of the file.
            0 => len - pos,
            n => u64::from(n),
        };
        if size < 8 || size > len - pos {
            return None;
        }
        match kind {
            b"moof" => return None,
            b"ftyp" | b"moov" => {
                if size > MAX_HEADER_BOX {
                    return None;
                }
                file.seek(SeekFrom::Start(pos)).ok()?;
                let start = out.len();
                out.resize(start + usize::try_from(size).ok()?, 0);
                file.read_exact(&mut out[start..]).ok()?;
                found_moov = kind == b"moov";
            }
            _ => {}
        }
        pos += size;
    }
    found_moov.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut b = u32::try_from(body.len() + 8).unwrap().to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend_from_slice(body);
        b
    }

    #[test]
    fn files_that_are_not_plain_mp4_have_no_index() {
        assert_eq!(read(&mut Cursor::new(Vec::new())), None);
        assert_eq!(read(&mut Cursor::new(b"\x1aE\xdf\xa3 matroska".to_vec())), None);
        // A box claiming more bytes than the file has.
        assert_eq!(read(&mut Cursor::new(b"\xff\xff\xff\xffmoov".to_vec())), None);
        // Fragmented, with its first fragment before the moov (a moof after it is told by the moov's mvex).
        let mut frag = boxed(b"ftyp", b"isom\0\0\0\0");
        frag.extend(boxed(b"moof", &[0; 8]));
        frag.extend(boxed(b"moov", &[0; 8]));
        assert_eq!(header_boxes(&mut Cursor::new(frag)), None);
    }

    #[test]
    fn the_header_boxes_are_found_past_a_large_mdat() {
        let ftyp = boxed(b"ftyp", b"isom\0\0\0\0");
        let moov = boxed(b"moov", b"0123");
        let mut file = ftyp.clone();
        // A 64-bit sized mdat, then the moov at the end (a recording that was not made faststart).
        let mdat_len = 16u64 + 1000;
        file.extend(1u32.to_be_bytes());
        file.extend(b"mdat");
        file.extend(mdat_len.to_be_bytes());
        file.extend(vec![0u8; 1000]);
        file.extend(moov.clone());
        let got = header_boxes(&mut Cursor::new(file)).unwrap();
        assert_eq!(got, [ftyp, moov].concat());
    }
}
