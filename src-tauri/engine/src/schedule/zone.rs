//! Times as users type and read them. Posts are stored as UTC instants; what
//! a user types and sees is wall-clock time in their zone (Asia/Shanghai by
//! default), so parsing and formatting go through one place.

use jiff::civil::DateTime;
use jiff::tz::{Disambiguation, TimeZone};
use jiff::{Timestamp, Zoned};

use crate::error::{EngineError, Result};
use crate::message::Notice;

/// The zone the UI and CLI use unless told otherwise.
pub const DEFAULT_ZONE: &str = "Asia/Shanghai";

/// Looks a zone up by IANA name (the tz database ships in the binary, so this
/// works the same on machines without one).
pub fn zone(name: &str) -> Result<TimeZone> {
    TimeZone::get(name).map_err(|_| {
        EngineError::Refused(
            Notice::new(
                "time.unknown_zone",
                format!("unknown time zone `{name}`; use an IANA name such as Asia/Shanghai"),
            )
            .with("zone", name),
        )
    })
}

/// Reads a time a user typed. With an offset or `Z` it is that instant;
/// without one it is wall-clock time in `tz` (a time a DST change skips is
/// moved forward, an ambiguous one takes the earlier instant).
pub fn parse_time(text: &str, tz: &TimeZone) -> Result<Timestamp> {
    let text = text.trim();
    if let Ok(ts) = text.parse::<Timestamp>() {
        return Ok(ts);
    }
    let normalized = text.replacen(' ', "T", 1);
    let civil: DateTime = normalized.parse().map_err(|_| {
        EngineError::Refused(
            Notice::new(
                "time.unreadable",
                format!(
                    "cannot read the time `{text}`; write it as 2026-12-01 18:00 (your zone) or 2026-12-01T10:00:00Z"
                ),
            )
            .with("value", text),
        )
    })?;
    let zoned = tz.to_ambiguous_zoned(civil).disambiguate(Disambiguation::Compatible).map_err(|e| {
        EngineError::Refused(
            Notice::new("time.not_in_zone", format!("the time `{text}` does not exist in this zone: {e}"))
                .with("value", text),
        )
    })?;
    Ok(zoned.timestamp())
}

/// The stored form: UTC, second precision, `Z`.
pub fn to_utc_text(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Reads the stored form back.
pub fn from_utc_text(text: &str) -> Result<Timestamp> {
    text.parse::<Timestamp>().map_err(|e| EngineError::internal(format!("bad stored time `{text}`: {e}")))
}

/// `2026-12-01 18:00` in `tz`.
pub fn local_text(ts: Timestamp, tz: &TimeZone) -> String {
    ts.to_zoned(tz.clone()).strftime("%Y-%m-%d %H:%M").to_string()
}

/// Local midnight starting the day `ts` falls on.
pub fn day_start(ts: Timestamp, tz: &TimeZone) -> Result<Zoned> {
    Ok(ts.to_zoned(tz.clone()).start_of_day()?)
}

impl From<jiff::Error> for EngineError {
    fn from(e: jiff::Error) -> Self {
        EngineError::internal(format!("time: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_read_in_the_users_zone() {
        let sh = zone("Asia/Shanghai").unwrap();
        assert_eq!(to_utc_text(parse_time("2026-12-01 18:00", &sh).unwrap()), "2026-12-01T10:00:00Z");
        assert_eq!(to_utc_text(parse_time("2026-12-01T00:30", &sh).unwrap()), "2026-11-30T16:30:00Z");
        assert_eq!(to_utc_text(parse_time("2026-12-01T10:00:00Z", &sh).unwrap()), "2026-12-01T10:00:00Z");
        assert_eq!(to_utc_text(parse_time("2026-12-01T18:00:00+08:00", &sh).unwrap()), "2026-12-01T10:00:00Z");
        assert_eq!(local_text(parse_time("2026-11-30T16:30:00Z", &sh).unwrap(), &sh), "2026-12-01 00:30");
        let err = parse_time("next tuesday", &sh).unwrap_err().to_string();
        assert!(err.contains("2026-12-01 18:00"), "{err}");
        assert!(zone("Mars/Olympus").unwrap_err().to_string().contains("IANA"));
    }

    #[test]
    fn dst_gaps_move_forward_and_overlaps_take_the_first() {
        let ny = zone("America/New_York").unwrap();
        // 2026-03-08 02:30 does not exist in New York (clocks jump 02:00 → 03:00).
        assert_eq!(to_utc_text(parse_time("2026-03-08 02:30", &ny).unwrap()), "2026-03-08T07:30:00Z");
        // 2026-11-01 01:30 happens twice; the first is EDT (UTC-4).
        assert_eq!(to_utc_text(parse_time("2026-11-01 01:30", &ny).unwrap()), "2026-11-01T05:30:00Z");
    }
}
