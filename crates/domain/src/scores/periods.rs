//! Leaderboard periods and the UTC windows they cut time into.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// How long a board is kept after its window closed, so a late read or a slow projector still finds it.
const GRACE_AFTER_WINDOW: Duration = Duration::days(1);

/// A leaderboard period: all time, or the UTC calendar day, ISO week or calendar month of `achievedAt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// Every score ever.
    All,
    /// The UTC calendar day.
    Day,
    /// The ISO week, from Monday 00:00 UTC.
    Week,
    /// The UTC calendar month.
    Month,
}

impl Period {
    /// Every period, in the order boards are listed.
    pub const EVERY: [Period; 4] = [Period::All, Period::Day, Period::Week, Period::Month];

    /// The period's name as clients write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Period::All => "all",
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
        }
    }

    /// The window of this period that contains `at`.
    pub fn window_at(self, at: DateTime<Utc>) -> Window {
        let day = at.date_naive();
        let (start, end) = match self {
            Period::All => return Window::ALL_TIME,
            Period::Day => (day, day + Duration::days(1)),
            Period::Week => {
                let monday = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
                (monday, monday + Duration::days(7))
            }
            Period::Month => {
                let first = day.with_day(1).unwrap_or(day);
                (first, first_of_next_month(first))
            }
        };
        Window { start: Some(midnight(start)), end: Some(midnight(end)) }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Period {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, String> {
        Period::EVERY
            .into_iter()
            .find(|period| period.as_str() == raw)
            .ok_or_else(|| "must be one of all, day, week, month".to_owned())
    }
}

/// A half-open interval `[start, end)` of time; all-time boards have neither bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Window {
    /// The first instant inside the window.
    pub start: Option<DateTime<Utc>>,
    /// The first instant after the window.
    pub end: Option<DateTime<Utc>>,
}

impl Window {
    /// The window of the all-time period.
    pub const ALL_TIME: Window = Window { start: None, end: None };

    /// A short stable name of the window, part of a board's key: `all` or the start date.
    pub fn key(&self) -> String {
        match self.start {
            Some(start) => format!("{:04}-{:02}-{:02}", start.year(), start.month(), start.day()),
            None => "all".to_owned(),
        }
    }

    /// When the board of this window may be dropped, if ever.
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.end.map(|end| end + GRACE_AFTER_WINDOW)
    }
}

fn midnight(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
}

fn first_of_next_month(first: NaiveDate) -> NaiveDate {
    let (year, month) =
        if first.month() == 12 { (first.year() + 1, 1) } else { (first.year(), first.month() + 1) };
    NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_last_second_of_a_day_and_the_first_of_the_next_fall_in_different_day_windows() {
        let before = Period::Day.window_at(at("2026-11-22T23:59:59Z"));
        let after = Period::Day.window_at(at("2026-11-23T00:00:00Z"));
        assert_eq!(before.key(), "2026-11-22");
        assert_eq!(after.key(), "2026-11-23");
        assert_eq!(before.end, after.start);
    }

    #[test]
    fn weeks_start_on_monday_even_across_a_year_boundary() {
        let window = Period::Week.window_at(at("2027-01-01T12:00:00Z"));
        assert_eq!(window.start, Some(at("2026-12-28T00:00:00Z")));
        assert_eq!(window.end, Some(at("2027-01-04T00:00:00Z")));
    }

    #[test]
    fn a_sunday_belongs_to_the_week_that_began_the_monday_before() {
        let window = Period::Week.window_at(at("2026-11-29T23:59:59Z"));
        assert_eq!(window.key(), "2026-11-23");
    }

    #[test]
    fn december_ends_at_the_first_of_january() {
        let window = Period::Month.window_at(at("2026-12-31T23:59:59Z"));
        assert_eq!(window.start, Some(at("2026-12-01T00:00:00Z")));
        assert_eq!(window.end, Some(at("2027-01-01T00:00:00Z")));
    }

    #[test]
    fn february_of_a_leap_year_has_29_days() {
        let window = Period::Month.window_at(at("2028-02-10T00:00:00Z"));
        assert_eq!(window.end, Some(at("2028-03-01T00:00:00Z")));
    }

    #[test]
    fn the_all_time_window_never_expires() {
        let window = Period::All.window_at(at("2026-11-23T10:00:00Z"));
        assert_eq!(window.key(), "all");
        assert_eq!(window.expires_at(), None);
    }

    #[test]
    fn periods_parse_from_their_names_only() {
        assert_eq!("week".parse::<Period>(), Ok(Period::Week));
        assert!("year".parse::<Period>().is_err());
    }
}
