//! Ranking candidate windows by what was measured. Pure: signals, cues and
//! hook words in, scored windows with their reasons out.
//!
//! A window starts where speech starts (a cue's start, or the end of a
//! pause) and ends where a sentence or a pause ends, never inside a cue. Its
//! score adds up, each part from 0 to 1: how much of it is speech, how fast
//! (loudness onsets per second: syllables), how loud against the master's
//! quiet, how often the picture cuts, how dense its captions are and how many
//! hooks (numbers, questions, hook words) they hold; a long pause costs.

use serde::{Deserialize, Serialize};

use super::signals::{STEP, Signals};
use crate::subtitles::Cue;

/// Why a window ranks where it does, in both UI languages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    pub code: String,
    pub zh: String,
    pub en: String,
}

/// A suggested window of the master.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    pub start: f64,
    pub end: f64,
    /// 0–100.
    pub score: f64,
    pub reasons: Vec<Reason>,
}

/// Hook words and what to call them.
#[derive(Debug, Clone, PartialEq)]
pub struct Hooks {
    pub words: Vec<String>,
    pub weight: f64,
}

/// A pause: at least this long with no speech.
const PAUSE: f64 = 0.6;
/// A pause this long inside a clip loses viewers.
const LONG_PAUSE: f64 = 1.5;

/// Speech steps: louder than the master's quiet by 12 dB.
fn activity(db: &[f32]) -> (Vec<bool>, f32) {
    if db.is_empty() {
        return (Vec::new(), -90.0);
    }
    let mut sorted = db.to_vec();
    sorted.sort_by(f32::total_cmp);
    let floor = sorted[sorted.len() / 10].max(-80.0);
    (db.iter().map(|d| *d > floor + 12.0).collect(), floor)
}

/// Pauses as (start, end) in seconds.
fn pauses(active: &[bool]) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    let mut from = None;
    for (i, a) in active.iter().chain(std::iter::once(&true)).enumerate() {
        match (a, from) {
            (false, None) => from = Some(i),
            (true, Some(f)) => {
                if (i - f) as f64 * STEP >= PAUSE {
                    out.push((f as f64 * STEP, i as f64 * STEP));
                }
                from = None;
            }
            _ => {}
        }
    }
    out
}

/// Where windows may start and end.
fn boundaries(signals: &Signals, cues: &[Cue], pauses: &[(f64, f64)]) -> (Vec<f64>, Vec<f64>) {
    if !cues.is_empty() {
        let mut ends: Vec<f64> = cues.iter().map(Cue::end).collect();
        ends.sort_by(f64::total_cmp);
        ends.dedup();
        return (cues.iter().map(Cue::start).collect(), ends);
    }
    let mut starts: Vec<f64> = std::iter::once(0.0).chain(pauses.iter().map(|p| p.1)).collect();
    let mut ends: Vec<f64> = pauses.iter().map(|p| p.0).chain(std::iter::once(signals.duration)).collect();
    if starts.len() < 4 {
        // Talk without pauses (or no audio): a start every 2 s.
        starts.extend((0..(signals.duration / 2.0) as usize).map(|i| i as f64 * 2.0));
        ends.extend((1..=(signals.duration / 2.0) as usize).map(|i| i as f64 * 2.0));
    }
    starts.sort_by(f64::total_cmp);
    starts.dedup();
    ends.sort_by(f64::total_cmp);
    ends.dedup();
    (starts, ends)
}

/// The end for a window from `start`: the boundary nearest `start +
/// duration`, within 25 % of it; `None` when there is none. `ends` is sorted,
/// so a long master's thousands of cues cost a search, not a scan.
fn end_for(start: f64, duration: f64, ends: &[f64], total: f64) -> Option<f64> {
    let target = start + duration;
    if target > total + 0.05 {
        return None;
    }
    let from = ends.partition_point(|e| *e < target - duration * 0.25);
    let to = ends.partition_point(|e| *e <= target + duration * 0.25);
    ends[from..to]
        .iter()
        .copied()
        .filter(|e| *e > start && *e <= total + 1e-6)
        .min_by(|a, b| (a - target).abs().total_cmp(&(b - target).abs()))
}

fn hook_count(text: &str, hooks: &[Hooks]) -> (f64, bool, bool, Vec<String>) {
    let lower = text.to_lowercase();
    let mut found = Vec::new();
    let mut weight = 0.0;
    for h in hooks {
        for w in &h.words {
            if lower.contains(&w.to_lowercase()) && !found.contains(w) {
                found.push(w.clone());
                weight += h.weight;
            }
        }
    }
    let number = text.chars().any(|c| c.is_ascii_digit() || "一二三四五六七八九十百千万两%％".contains(c));
    let question = text.contains(['？', '?']) || ["吗", "呢", "为什么", "怎么"].iter().any(|w| text.contains(w));
    (weight, number, question, found)
}

fn reason(code: &str, zh: &str, en: &str) -> Reason {
    Reason { code: code.into(), zh: zh.into(), en: en.into() }
}

/// The `count` best non-overlapping windows of about `duration` seconds.
pub fn rank(signals: &Signals, cues: &[Cue], hooks: &[Hooks], duration: f64, count: usize) -> Vec<Suggestion> {
    let (active, floor) = activity(&signals.db);
    // Sound that never rises above its own quiet (a steady tone, music bed,
    // silence) tells nothing about speech: no pauses then, rather than one
    // pause the whole master long.
    let heard = active.iter().filter(|a| **a).count() * 20 >= active.len().max(1);
    let pauses = if heard { pauses(&active) } else { Vec::new() };
    let (starts, ends) = boundaries(signals, cues, &pauses);
    let step_of = |t: f64| ((t / STEP) as usize).min(signals.db.len());
    // In start order, the cues under a window start no earlier than its
    // start minus the longest cue.
    let mut cues = cues.to_vec();
    cues.sort_by(|a, b| a.start().total_cmp(&b.start()));
    let cues = cues.as_slice();
    let longest_cue = cues.iter().map(|c| c.end() - c.start()).fold(0.0, f64::max);
    let mut scored: Vec<Suggestion> = Vec::new();
    for &start in &starts {
        let Some(end) = end_for(start, duration, &ends, signals.duration) else { continue };
        let len = end - start;
        let (a, b) = (step_of(start), step_of(end));
        let steps = &signals.db[a..b];
        let on = &active[a.min(active.len())..b.min(active.len())];
        let speech = if on.is_empty() { 0.0 } else { on.iter().filter(|x| **x).count() as f64 / on.len() as f64 };
        // Syllables: the sound jumping up by 6 dB within 50 ms.
        let onsets = steps.windows(2).filter(|w| w[1] > w[0] + 6.0 && w[1] > floor + 12.0).count() as f64 / len;
        let mean_db = if steps.is_empty() { floor } else { steps.iter().sum::<f32>() / steps.len() as f32 };
        let loud = f64::from(((mean_db - floor) / 30.0).clamp(0.0, 1.0));
        let pace = (onsets / 4.0).min(1.0);
        let cuts = (signals.cuts.partition_point(|c| *c < end) - signals.cuts.partition_point(|c| *c <= start)) as f64;
        let cut_rate = (cuts / len * 10.0 / 3.0).min(1.0);
        let longest_pause = pauses[pauses.partition_point(|p| p.1 <= start)..]
            .iter()
            .take_while(|p| p.0 < end)
            .map(|p| p.1.min(end) - p.0.max(start))
            .fold(0.0, f64::max);

        let mut reasons = Vec::new();
        let mut score = 0.3 * speech + 0.2 * pace + 0.1 * loud + 0.15 * cut_rate;
        if cues.is_empty() {
            // No words to read: the picture and the sound carry the rest.
            score += 0.1 * speech + 0.15 * cut_rate;
        } else {
            let first = cues.partition_point(|c| c.start() < start - longest_cue);
            let text: String = cues[first..]
                .iter()
                .take_while(|c| c.start() < end)
                .filter(|c| c.end() > start)
                .map(|c| c.text.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            let density = (text.chars().filter(|c| !c.is_whitespace()).count() as f64 / len / 6.0).min(1.0);
            let (weight, number, question, words) = hook_count(&text, hooks);
            let hook = ((weight + f64::from(u8::from(number)) + f64::from(u8::from(question))) / 3.0).min(1.0);
            score += 0.15 * density + 0.1 * hook;
            if density > 0.6 {
                reasons.push(reason("dense_captions", "字幕密集", "dense captions"));
            }
            if number {
                reasons.push(reason("numbers", "有数字", "has numbers"));
            }
            if question {
                reasons.push(reason("question", "有提问", "asks a question"));
            }
            if let Some(w) = words.first() {
                reasons.push(reason("hook_words", &format!("有钩子词（{w}）"), &format!("hook words ({w})")));
            }
        }
        if longest_pause > LONG_PAUSE {
            score -= 0.2;
            reasons.push(reason(
                "long_pause",
                &format!("有 {longest_pause:.1} 秒停顿"),
                &format!("a {longest_pause:.1} s pause"),
            ));
        } else if speech > 0.3 {
            reasons.push(reason("no_long_pause", "无长停顿", "no long pause"));
        }
        if speech > 0.75 {
            reasons.insert(0, reason("speech", "说话密集", "talking throughout"));
        }
        if pace > 0.6 {
            reasons.insert(0, reason("pace", "语速快", "fast speech"));
        }
        if loud > 0.5 {
            reasons.push(reason("loud", "声音饱满", "strong sound"));
        }
        if cut_rate > 0.5 {
            reasons.push(reason("cuts", "画面切换多", "frequent cuts"));
        }
        scored.push(Suggestion { start, end, score: (score.max(0.0) * 100.0).round(), reasons });
    }
    scored.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.start.total_cmp(&b.start)));
    let mut chosen: Vec<Suggestion> = Vec::new();
    for s in scored {
        if chosen.len() == count || s.score <= 0.0 {
            break;
        }
        if chosen.iter().all(|c| s.end <= c.start || s.start >= c.end) {
            chosen.push(s);
        }
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Quiet (-60 dB) with, from 30 s to 45 s, speech-like bursts four times a second.
    fn talk_in_quiet() -> Signals {
        let db = (0..1200)
            .map(|i| {
                let t = i as f64 * STEP;
                if (30.0..45.0).contains(&t) { if i % 5 < 3 { -18.0 } else { -40.0 } } else { -60.0 }
            })
            .collect();
        Signals { db, cuts: vec![31.0, 33.0, 35.0, 37.0, 39.0, 41.0, 43.0], keyframes: 40, duration: 60.0 }
    }

    #[test]
    fn the_talking_part_ranks_first_and_starts_where_the_talk_starts() {
        let best = rank(&talk_in_quiet(), &[], &[], 15.0, 3);
        assert!((best[0].start - 30.0).abs() < 0.11 && (best[0].end - 45.0).abs() < 0.11, "{best:?}");
        let codes: Vec<&str> = best[0].reasons.iter().map(|r| r.code.as_str()).collect();
        assert!(codes.contains(&"pace") && codes.contains(&"cuts") && codes.contains(&"no_long_pause"), "{codes:?}");
        assert!(best.windows(2).all(|w| w[0].score >= w[1].score));
        assert!(best.iter().skip(1).all(|s| s.end <= best[0].start || s.start >= best[0].end));
    }

    #[test]
    fn with_captions_windows_start_and_end_on_cues_and_hooks_count() {
        let signals = talk_in_quiet();
        let cue = |n: u32, a: u64, b: u64, t: &str| Cue { number: n, start_ms: a, end_ms: b, text: t.into(), line: 0 };
        let cues = vec![
            cue(1, 2_000, 9_000, "今天天气不错"),
            cue(2, 10_000, 16_000, "我们随便聊聊"),
            cue(3, 30_000, 37_500, "干货来了：三个误区，为什么很多人亏钱？"),
            cue(4, 37_500, 44_800, "第一，追涨杀跌；第二，满仓。"),
        ];
        let best = rank(&signals, &cues, &[Hooks { words: vec!["干货".into(), "误区".into()], weight: 1.0 }], 15.0, 2);
        assert_eq!((best[0].start, best[0].end), (30.0, 44.8), "{best:?}");
        let codes: Vec<&str> = best[0].reasons.iter().map(|r| r.code.as_str()).collect();
        assert!(
            codes.contains(&"numbers") && codes.contains(&"question") && codes.contains(&"hook_words"),
            "{codes:?}"
        );
        for s in &best {
            assert!(cues.iter().any(|c| c.start() == s.start) && cues.iter().any(|c| c.end() == s.end), "{s:?}");
        }
    }
}
