//! Leaderboard periods and the UTC windows they cut time into.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use super::KeptWindows;

/// How long a window still takes scores after it closed, so a late submission or a slow projector still
/// counts; a kept window's board is also kept this long after the window that last keeps it.
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

    /// The window of this period that starts on `day`, or why no window starts then: any day starts a
    /// day, a Monday a week, the 1st a month; the all-time period has no windows to name.
    pub fn window_starting(self, day: NaiveDate) -> Result<Window, String> {
        let window = self.window_at(midnight(day));
        match (self, window.start) {
            (Period::All, _) => Err("names no window of the all-time board".to_owned()),
            (_, Some(start)) if start == midnight(day) => Ok(window),
            (Period::Week, _) => Err("must be a Monday, the first day of a week".to_owned()),
            _ => Err("must be the 1st, the first day of a month".to_owned()),
        }
    }

    /// Until when the board of `window` is kept, for a game that keeps `kept` closed windows: the end
    /// of the `kept`th window after it, plus the grace (with 0, the window's own end plus the grace).
    /// `None` for the all-time window, kept for ever.
    pub fn kept_until(self, window: &Window, kept: KeptWindows) -> Option<DateTime<Utc>> {
        let end = window.end?;
        Some(midnight(self.shift(end.date_naive(), i64::from(kept.get()))) + GRACE_AFTER_WINDOW)
    }

    /// The start of the oldest window still kept at `now` (a window starting earlier has passed
    /// [`Period::kept_until`]), or `None` for the all-time period.
    pub fn oldest_kept_start(self, now: DateTime<Utc>, kept: KeptWindows) -> Option<DateTime<Utc>> {
        let closing = self.window_at(now - GRACE_AFTER_WINDOW).start?;
        Some(midnight(self.shift(closing.date_naive(), -i64::from(kept.get()))))
    }

    /// The first day of the window `windows` windows after (or, negative, before) the one starting on
    /// `start`.
    fn shift(self, start: NaiveDate, windows: i64) -> NaiveDate {
        let months = Months::new(u32::try_from(windows.unsigned_abs()).unwrap_or(u32::MAX));
        let shifted = match self {
            Period::All => Some(start),
            Period::Day => start.checked_add_signed(Duration::days(windows)),
            Period::Week => start.checked_add_signed(Duration::weeks(windows)),
            Period::Month if windows < 0 => start.checked_sub_months(months),
            Period::Month => start.checked_add_months(months),
        };
        shifted.unwrap_or(start)
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

    /// Until when a score counts on this window's board, judged by when the score was accepted (so a
    /// rebuild from the log decides alike); `None` for the all-time window, which takes every score.
    pub fn takes_scores_until(&self) -> Option<DateTime<Utc>> {
        self.end.map(|end| end + GRACE_AFTER_WINDOW)
    }

    /// Whether a score accepted at `accepted_at` counts on this window's board.
    pub fn takes_score_accepted_at(&self, accepted_at: DateTime<Utc>) -> bool {
        self.takes_scores_until().is_none_or(|until| accepted_at < until)
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
        assert_eq!(window.takes_scores_until(), None);
        assert_eq!(Period::All.kept_until(&window, KeptWindows::default()), None);
    }

    #[test]
    fn periods_parse_from_their_names_only() {
        assert_eq!("week".parse::<Period>(), Ok(Period::Week));
        assert!("year".parse::<Period>().is_err());
    }

    fn day(date: &str) -> NaiveDate {
        date.parse().unwrap()
    }

    fn kept(count: i64) -> KeptWindows {
        KeptWindows::new(count).unwrap()
    }

    #[test]
    fn any_day_starts_a_day_window_but_only_a_monday_a_week_and_the_first_a_month() {
        assert_eq!(Period::Day.window_starting(day("2026-11-25")).unwrap().key(), "2026-11-25");
        assert_eq!(Period::Week.window_starting(day("2026-11-23")).unwrap().key(), "2026-11-23");
        assert!(Period::Week.window_starting(day("2026-11-24")).is_err());
        assert_eq!(Period::Month.window_starting(day("2026-11-01")).unwrap().key(), "2026-11-01");
        assert!(Period::Month.window_starting(day("2026-11-02")).is_err());
        assert!(Period::All.window_starting(day("2026-11-01")).is_err());
    }

    #[test]
    fn a_score_counts_on_a_window_when_accepted_before_its_end_plus_a_day_of_grace() {
        let window = Period::Week.window_at(at("2026-11-25T10:00:00Z"));
        assert!(window.takes_score_accepted_at(at("2026-11-29T23:59:59Z")));
        assert!(window.takes_score_accepted_at(at("2026-11-30T23:59:59Z")));
        assert!(!window.takes_score_accepted_at(at("2026-12-01T00:00:00Z")));
        assert!(Window::ALL_TIME.takes_score_accepted_at(at("2099-01-01T00:00:00Z")));
    }

    #[test]
    fn a_window_is_kept_until_the_end_of_the_last_window_that_keeps_it_plus_the_grace() {
        let day_window = Period::Day.window_at(at("2026-11-23T10:00:00Z"));
        assert_eq!(Period::Day.kept_until(&day_window, kept(0)), Some(at("2026-11-25T00:00:00Z")));
        assert_eq!(Period::Day.kept_until(&day_window, kept(2)), Some(at("2026-11-27T00:00:00Z")));
        let week = Period::Week.window_at(at("2026-11-23T10:00:00Z"));
        assert_eq!(Period::Week.kept_until(&week, kept(12)), Some(at("2027-02-23T00:00:00Z")));
    }

    #[test]
    fn months_are_kept_by_calendar_months_across_short_months_and_years() {
        let january = Period::Month.window_at(at("2027-01-31T10:00:00Z"));
        assert_eq!(Period::Month.kept_until(&january, kept(1)), Some(at("2027-03-02T00:00:00Z")));
        let november = Period::Month.window_at(at("2026-11-10T00:00:00Z"));
        assert_eq!(Period::Month.kept_until(&november, kept(12)), Some(at("2027-12-02T00:00:00Z")));
        assert_eq!(Period::Month.kept_until(&november, kept(366)), Some(at("2057-06-02T00:00:00Z")));
    }

    #[test]
    fn the_oldest_kept_start_is_exactly_where_kept_until_passes_now() {
        let now = at("2026-12-01T05:00:00Z");
        for period in [Period::Day, Period::Week, Period::Month] {
            for count in [0, 1, 12] {
                let oldest = period.oldest_kept_start(now, kept(count)).unwrap();
                let window = period.window_at(oldest);
                let before = period.window_at(oldest - Duration::seconds(1));
                assert_eq!(window.start, Some(oldest), "{period} {count}");
                assert!(period.kept_until(&window, kept(count)).unwrap() > now, "{period} {count}");
                assert!(period.kept_until(&before, kept(count)).unwrap() <= now, "{period} {count}");
            }
        }
    }
}
