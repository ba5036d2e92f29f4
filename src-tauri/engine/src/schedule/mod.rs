//! Publish planning that needs no database: cadence rules, time zones and
//! the clash rules a schedule is checked against. The store feeds these the
//! posts around a time; the rules themselves stay testable on plain values.

pub mod cadence;
pub mod zone;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

pub use cadence::Cadence;
pub use zone::{DEFAULT_ZONE, from_utc_text, local_text, parse_time, to_utc_text, zone};

use crate::error::Result;
use crate::message::Notice;
use crate::platform::PublishingSpec;

/// A post, as far as the clash rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slotted {
    /// None for a post not saved yet.
    pub post_id: Option<i64>,
    pub variant_id: i64,
    pub at: Timestamp,
}

/// Why a planned time is a problem. Warnings: the user may still schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ClashKind {
    /// Another post of the account is closer than the platform's minimum gap.
    SlotTaken { other_post: i64, gap_minutes: i64 },
    /// The account already has this variant planned or published.
    SameVariant { other_post: i64 },
    /// More posts on that local day than the platform's daily cap.
    DailyCap { count: u32, cap: u32 },
    /// The time has passed.
    InPast,
}

/// A clash and its words for a person (the catalogs' `clash.*`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clash {
    #[serde(flatten)]
    pub kind: ClashKind,
    #[serde(alias = "message")]
    pub notice: Notice,
}

/// Checks `candidate` against the account's other posts (planned or
/// published; any time, since same-variant clashes are not bound to a day).
pub fn clashes(
    candidate: &Slotted,
    others: &[Slotted],
    rules: &PublishingSpec,
    tz: &TimeZone,
    now: Timestamp,
) -> Result<Vec<Clash>> {
    let mut out = Vec::new();
    let others = || others.iter().filter(|o| o.post_id.is_none() || o.post_id != candidate.post_id);
    if candidate.at < now {
        out.push(Clash {
            kind: ClashKind::InPast,
            notice: Notice::new("clash.in_past", "this time has already passed"),
        });
    }
    let gap = i64::from(rules.min_gap_minutes);
    if let Some((other, minutes)) = others()
        .map(|o| (o, (o.at.as_second() - candidate.at.as_second()).abs() / 60))
        .filter(|(_, minutes)| *minutes < gap)
        .min_by_key(|(_, minutes)| *minutes)
    {
        let id = other.post_id.unwrap_or_default();
        out.push(Clash {
            kind: ClashKind::SlotTaken { other_post: id, gap_minutes: minutes },
            notice: Notice::new(
                "clash.slot_taken",
                format!("post {id} of this account is {minutes} min away; keep at least {gap} min between posts"),
            )
            .with("post", id)
            .with("minutes", minutes)
            .with("gap", gap),
        });
    }
    if let Some(other) = others().find(|o| o.variant_id == candidate.variant_id) {
        let id = other.post_id.unwrap_or_default();
        out.push(Clash {
            kind: ClashKind::SameVariant { other_post: id },
            notice: Notice::new(
                "clash.same_variant",
                format!("this account already has variant {} in post {id}", candidate.variant_id),
            )
            .with("variant", candidate.variant_id)
            .with("post", id),
        });
    }
    if let Some(cap) = rules.daily_cap {
        let day = zone::day_start(candidate.at, tz)?;
        let start = day.timestamp();
        let end = day.tomorrow()?.timestamp();
        let same_day = others().filter(|o| o.at >= start && o.at < end).count() as u32 + 1;
        if same_day > cap {
            out.push(Clash {
                kind: ClashKind::DailyCap { count: same_day, cap },
                notice: Notice::new(
                    "clash.daily_cap",
                    format!(
                        "{same_day} posts on {} for this account; the platform's daily cap is {cap}",
                        day.strftime("%Y-%m-%d")
                    ),
                )
                .with("count", same_day)
                .with("day", day.strftime("%Y-%m-%d"))
                .with("cap", cap),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        parse_time(text, &zone("Asia/Shanghai").unwrap()).unwrap()
    }

    fn post(id: i64, variant: i64, when: &str) -> Slotted {
        Slotted { post_id: Some(id), variant_id: variant, at: at(when) }
    }

    fn kinds(c: &[Clash]) -> Vec<&str> {
        c.iter()
            .map(|c| match c.kind {
                ClashKind::SlotTaken { .. } => "slot_taken",
                ClashKind::SameVariant { .. } => "same_variant",
                ClashKind::DailyCap { .. } => "daily_cap",
                ClashKind::InPast => "in_past",
            })
            .collect()
    }

    fn check(candidate: Slotted, others: &[Slotted], cap: Option<u32>) -> Vec<Clash> {
        let rules = PublishingSpec { account_platform: None, daily_cap: cap, min_gap_minutes: 120 };
        clashes(&candidate, others, &rules, &zone("Asia/Shanghai").unwrap(), at("2026-11-01 00:00")).unwrap()
    }

    #[test]
    fn slot_clash_crosses_midnight_but_the_daily_cap_does_not() {
        let late = post(1, 10, "2026-12-01 23:30");
        let new = Slotted { post_id: None, variant_id: 11, at: at("2026-12-02 00:30") };
        let c = check(new, &[late], Some(1));
        assert_eq!(kinds(&c), ["slot_taken"], "60 min apart across midnight: same slot, different local days");
        assert_eq!(c[0].kind, ClashKind::SlotTaken { other_post: 1, gap_minutes: 60 });
        // Exactly the minimum gap apart is fine.
        let new = Slotted { post_id: None, variant_id: 11, at: at("2026-12-02 01:30") };
        assert!(check(new, &[late], Some(1)).is_empty());
    }

    #[test]
    fn the_daily_cap_counts_local_days_not_utc_days() {
        // 07:00 and 09:00 Shanghai are on different UTC days (23:00 and 01:00 UTC), one local day.
        let morning = post(1, 10, "2026-12-02 07:00");
        let new = Slotted { post_id: None, variant_id: 11, at: at("2026-12-02 09:00") };
        let c = check(new, &[morning], Some(1));
        assert_eq!(kinds(&c), ["daily_cap"]);
        assert_eq!(c[0].kind, ClashKind::DailyCap { count: 2, cap: 1 });
        assert!(c[0].notice.text.contains("2026-12-02"), "{}", c[0].notice.text);
        // The day before, 23:59, is another local day.
        let new = Slotted { post_id: None, variant_id: 11, at: at("2026-12-01 23:59") };
        assert!(check(new, &[morning], Some(1)).is_empty());
        assert!(
            check(Slotted { post_id: None, variant_id: 11, at: at("2026-12-02 09:00") }, &[morning], None).is_empty()
        );
    }

    #[test]
    fn same_variant_twice_and_past_times() {
        let old = post(1, 10, "2026-12-01 12:00");
        let new = Slotted { post_id: None, variant_id: 10, at: at("2026-12-08 12:00") };
        assert_eq!(kinds(&check(new, &[old], None)), ["same_variant"]);
        let past = Slotted { post_id: None, variant_id: 11, at: at("2026-10-31 23:59") };
        assert_eq!(kinds(&check(past, &[], None)), ["in_past"]);
        // A post never clashes with itself (rescheduling).
        assert!(check(post(1, 10, "2026-12-01 12:30"), &[old], Some(1)).is_empty());
    }
}
