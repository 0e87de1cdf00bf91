//! Cron triggers: when a Worker's `scheduled` handler runs.

use std::fmt;

use chrono::{DateTime, Utc};
use croner::parser::{CronParser, Seconds, Year};

/// One cron expression of a Worker's `crons`, evaluated in UTC.
///
/// The standard five fields (minute, hour, day of month, month, day of
/// week) with names, ranges, steps and lists; the aliases `@yearly`,
/// `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight` and `@hourly`;
/// and, beyond standard cron, an optional leading seconds field (six
/// fields), for triggers more frequent than once a minute.
#[derive(Clone)]
pub struct CronTrigger {
    expression: String,
    schedule: croner::Cron,
}

impl CronTrigger {
    /// Parses `expression`, or says what is wrong with it.
    pub fn parse(expression: &str) -> Result<Self, String> {
        let parser = CronParser::builder()
            .seconds(Seconds::Optional)
            .year(Year::Disallowed)
            .build();
        let trimmed = expression.trim();
        let fields = trimmed.split_whitespace().count();
        if !trimmed.starts_with('@') && !(5..=6).contains(&fields) {
            return Err(format!(
                "has {fields} fields; a cron expression has 5 (or 6 with seconds)"
            ));
        }
        let schedule = parser.parse(trimmed).map_err(|e| e.to_string())?;
        // An expression that can never fire (30 February) is refused too.
        schedule
            .find_next_occurrence(&Utc::now(), false)
            .map_err(|_| "never matches a date".to_owned())?;
        Ok(Self {
            expression: trimmed.to_owned(),
            schedule,
        })
    }

    /// The expression as written (trimmed); it is what `event.cron` shows.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The first time strictly after `after` that the trigger fires: a
    /// whole second, the same on every node whatever fraction of a second
    /// `after` has (a cluster's nodes agree on which tick is which).
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let whole = DateTime::from_timestamp(after.timestamp(), 0)?;
        self.schedule.find_next_occurrence(&whole, false).ok()
    }
}

impl fmt::Debug for CronTrigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CronTrigger({:?})", self.expression)
    }
}

impl PartialEq for CronTrigger {
    fn eq(&self, other: &Self) -> bool {
        self.expression == other.expression
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn ticks_are_whole_seconds_whatever_the_fraction_of_the_start() {
        let trigger = CronTrigger::parse("* * * * * *").unwrap();
        let at = |ms: i64| DateTime::from_timestamp_millis(ms).unwrap();
        for ms in [1_000_000_000_000, 1_000_000_000_049, 1_000_000_000_999] {
            assert_eq!(
                trigger.next_after(at(ms)).unwrap().timestamp_millis(),
                1_000_000_001_000
            );
        }
    }

    fn next(expr: &str, after: &str) -> String {
        let after = DateTime::parse_from_rfc3339(after)
            .unwrap()
            .with_timezone(&Utc);
        CronTrigger::parse(expr)
            .unwrap()
            .next_after(after)
            .unwrap()
            .to_rfc3339()
    }

    #[test]
    fn standard_expressions_and_aliases_fire_when_cron_would() {
        assert_eq!(
            next("*/5 * * * *", "2026-01-01T10:02:30Z"),
            "2026-01-01T10:05:00+00:00"
        );
        assert_eq!(
            next("0 9 * * MON", "2026-11-23T10:00:00Z"),
            "2026-11-30T09:00:00+00:00"
        );
        assert_eq!(
            next("@hourly", "2026-01-01T10:00:00Z"),
            "2026-01-01T11:00:00+00:00"
        );
        assert_eq!(
            next("@daily", "2026-01-01T10:00:00Z"),
            "2026-01-02T00:00:00+00:00"
        );
        assert_eq!(
            next("30 2 1 * *", "2026-01-15T00:00:00Z"),
            "2026-02-01T02:30:00+00:00"
        );
        // Six fields: seconds first.
        assert_eq!(
            next("*/10 * * * * *", "2026-01-01T10:00:01Z"),
            "2026-01-01T10:00:10+00:00"
        );
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        assert!(
            CronTrigger::parse("* * * * *")
                .unwrap()
                .next_after(t)
                .unwrap()
                > t
        );
    }

    #[test]
    fn bad_expressions_say_why() {
        for bad in [
            "",
            "* * *",
            "61 * * * *",
            "* * * * * * *",
            "0 0 30 2 *",
            "@often",
            "x * * * *",
        ] {
            assert!(CronTrigger::parse(bad).is_err(), "{bad:?}");
        }
    }
}
