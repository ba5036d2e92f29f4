//! Cadence rules: when an account posts, e.g. `daily 18:00` or
//! `mon,wed,fri 12:00` (also `每天 18:00`, `周一,周三,周五 12:00`,
//! `weekdays 09:30`). A rule is wall-clock time in the user's zone, so
//! "18:00" stays 18:00 across DST changes.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};

const DAYS: [(Weekday, &str, &str); 7] = [
    (Weekday::Monday, "mon", "周一"),
    (Weekday::Tuesday, "tue", "周二"),
    (Weekday::Wednesday, "wed", "周三"),
    (Weekday::Thursday, "thu", "周四"),
    (Weekday::Friday, "fri", "周五"),
    (Weekday::Saturday, "sat", "周六"),
    (Weekday::Sunday, "sun", "周日"),
];

/// One posting time on some days of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Cadence {
    /// Monday first.
    days: [bool; 7],
    hour: i8,
    minute: i8,
}

impl Cadence {
    /// Every instant this rule names in `[from, to)`, in order.
    pub fn slots(&self, from: Timestamp, to: Timestamp, tz: &TimeZone) -> Result<Vec<Timestamp>> {
        let mut out = Vec::new();
        let mut day: Date = from.to_zoned(tz.clone()).date();
        let last: Date = to.to_zoned(tz.clone()).date();
        let time = Time::new(self.hour, self.minute, 0, 0)?;
        while day <= last {
            if self.days[day.weekday().to_monday_zero_offset() as usize] {
                let ts = day.to_datetime(time).to_zoned(tz.clone())?.timestamp();
                if ts >= from && ts < to {
                    out.push(ts);
                }
            }
            day = day.tomorrow()?;
        }
        Ok(out)
    }

    pub fn posts_on(&self, weekday: Weekday) -> bool {
        self.days[weekday.to_monday_zero_offset() as usize]
    }
}

fn day_index(word: &str) -> Option<usize> {
    const FULL: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
    let w = word.to_lowercase();
    let w = w.replace("星期", "周").replace("周天", "周日");
    DAYS.iter().zip(FULL).position(|((_, en, zh), full)| w == *en || w == full || w == *zh)
}

fn bad(text: &str) -> EngineError {
    EngineError::Refused(
        crate::message::Notice::new(
            "cadence.unreadable",
            format!(
                "cannot read the cadence `{text}`; write e.g. `daily 18:00`, `mon,wed,fri 12:00`, `每天 18:00` or `周一,周三,周五 12:00`"
            ),
        )
        .with("value", text),
    )
}

impl FromStr for Cadence {
    type Err = EngineError;

    fn from_str(text: &str) -> Result<Self> {
        let trimmed = text.trim();
        let (days_part, time_part) = trimmed.rsplit_once(char::is_whitespace).ok_or_else(|| bad(text))?;
        let (h, m) = time_part.split_once([':', '：']).ok_or_else(|| bad(text))?;
        let hour: i8 = h.parse().map_err(|_| bad(text))?;
        let minute: i8 = m.parse().map_err(|_| bad(text))?;
        if !(0..24).contains(&hour) || !(0..60).contains(&minute) {
            return Err(bad(text));
        }
        let days_part = days_part.trim().to_lowercase();
        let mut days = [false; 7];
        match days_part.as_str() {
            "daily" | "every day" | "每天" | "每日" => days = [true; 7],
            "weekdays" | "工作日" => days[..5].fill(true),
            "weekends" | "周末" => days[5..].fill(true),
            list => {
                for word in list.split([',', '，', '、', ' ']).filter(|w| !w.is_empty()) {
                    days[day_index(word).ok_or_else(|| bad(text))?] = true;
                }
            }
        }
        if !days.contains(&true) {
            return Err(bad(text));
        }
        Ok(Self { days, hour, minute })
    }
}

impl fmt::Display for Cadence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = if self.days == [true; 7] {
            "daily".to_owned()
        } else {
            DAYS.iter().zip(self.days).filter(|(_, on)| *on).map(|((_, en, _), _)| *en).collect::<Vec<_>>().join(",")
        };
        write!(f, "{days} {:02}:{:02}", self.hour, self.minute)
    }
}

impl TryFrom<String> for Cadence {
    type Error = EngineError;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

impl From<Cadence> for String {
    fn from(c: Cadence) -> Self {
        c.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::zone::{parse_time, to_utc_text, zone};

    fn utc(list: &[Timestamp]) -> Vec<String> {
        list.iter().map(|t| to_utc_text(*t)).collect()
    }

    #[test]
    fn reads_english_and_chinese_and_prints_one_form() {
        for (text, canonical) in [
            ("daily 18:00", "daily 18:00"),
            ("每天 18:00", "daily 18:00"),
            ("mon,wed,fri 12:00", "mon,wed,fri 12:00"),
            ("周一,周三,周五 12:00", "mon,wed,fri 12:00"),
            ("星期一、星期三 9:05", "mon,wed 09:05"),
            ("weekdays 09:30", "mon,tue,wed,thu,fri 09:30"),
            ("Sat,Sun 20：00", "sat,sun 20:00"),
            ("周末 8:00", "sat,sun 08:00"),
        ] {
            assert_eq!(text.parse::<Cadence>().unwrap().to_string(), canonical, "{text}");
        }
        for bad in ["18:00", "daily 25:00", "daily 18", "someday 10:00", "mon 10:60", ""] {
            let err = bad.parse::<Cadence>().unwrap_err().to_string();
            assert!(err.contains("mon,wed,fri 12:00"), "{bad}: {err}");
        }
    }

    #[test]
    fn slots_are_wall_clock_in_the_zone_across_midnight_and_weeks() {
        let sh = zone("Asia/Shanghai").unwrap();
        let rule: Cadence = "mon,wed,fri 00:00".parse().unwrap();
        // Sunday 2026-11-29 23:00 to Monday 2026-12-07 00:00 local.
        let from = parse_time("2026-11-29 23:00", &sh).unwrap();
        let to = parse_time("2026-12-07 00:00", &sh).unwrap();
        assert_eq!(
            utc(&rule.slots(from, to, &sh).unwrap()),
            ["2026-11-29T16:00:00Z", "2026-12-01T16:00:00Z", "2026-12-03T16:00:00Z"],
            "Mon 30 Nov, Wed 2 Dec, Fri 4 Dec at local midnight; the end (next Monday 00:00) is excluded"
        );
        let daily: Cadence = "daily 18:00".parse().unwrap();
        let to = parse_time("2026-12-01 18:00", &sh).unwrap();
        let from = parse_time("2026-11-30 18:00", &sh).unwrap();
        assert_eq!(utc(&daily.slots(from, to, &sh).unwrap()), ["2026-11-30T10:00:00Z"], "[from, to)");
    }

    #[test]
    fn a_rule_keeps_its_local_time_across_dst() {
        let ny = zone("America/New_York").unwrap();
        let rule: Cadence = "daily 18:00".parse().unwrap();
        let from = parse_time("2026-03-07 00:00", &ny).unwrap();
        let to = parse_time("2026-03-09 00:00", &ny).unwrap();
        assert_eq!(utc(&rule.slots(from, to, &ny).unwrap()), ["2026-03-07T23:00:00Z", "2026-03-08T22:00:00Z"]);
    }
}
