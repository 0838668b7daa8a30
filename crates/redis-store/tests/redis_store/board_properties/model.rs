//! The naive model: every submission kept, every board ranked from scratch by the rules as API.md
//! states them, with windows worked out from the calendar rather than by `Period::window_at`.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, Utc};
use domain::scores::{Operator, SortOrder};

/// One submitted score, as a client sent it.
#[derive(Debug, Clone)]
pub struct Submission {
    pub player: &'static str,
    pub score: i64,
    pub achieved_at: DateTime<Utc>,
    pub region: Option<&'static str>,
}

/// A board's entry as a reader sees it: the player, the score, and `achievedAt` in microseconds and
/// as text.
pub type Standing = (String, i64, i64, String);

/// A player's scores on a board, each with its place in the log.
type Scores<'a> = Vec<(usize, &'a Submission)>;

/// Every board the submissions reach, by board id, each ranked best first.
pub fn boards(
    game: &str,
    operator: Operator,
    order: SortOrder,
    submissions: &[Submission],
) -> BTreeMap<String, Vec<Standing>> {
    let mut scores: BTreeMap<String, BTreeMap<&str, Scores>> = BTreeMap::new();
    for (index, submission) in submissions.iter().enumerate() {
        for board in board_ids(game, submission) {
            scores.entry(board).or_default().entry(submission.player).or_default().push((index, submission));
        }
    }
    scores
        .into_iter()
        .map(|(board, players)| {
            let mut standings: Vec<Standing> = players
                .into_iter()
                .map(|(player, scores)| {
                    let (score, achieved) = entry(operator, order, &scores);
                    (player.to_owned(), score, achieved.timestamp_micros(), shown(achieved))
                })
                .collect();
            standings.sort_by(|a, b| {
                ranks_before(order, a.1, b.1).then(a.2.cmp(&b.2)).then_with(|| a.0.cmp(&b.0))
            });
            (board, standings)
        })
        .collect()
}

/// A player's one entry on a board: `best` their best score (the earlier of equal ones), `latest` the
/// score achieved last (the later submission of two achieved at once), `sum` all of them added up
/// exactly and shown within ±2^53, achieved when the last of them was.
fn entry(operator: Operator, order: SortOrder, scores: &[(usize, &Submission)]) -> (i64, DateTime<Utc>) {
    let chosen = match operator {
        Operator::Best => scores
            .iter()
            .min_by(|(_, a), (_, b)| {
                ranks_before(order, a.score, b.score).then(a.achieved_at.cmp(&b.achieved_at))
            })
            .map(|(_, s)| (s.score, s.achieved_at)),
        Operator::Latest => scores
            .iter()
            .max_by_key(|(index, s)| (s.achieved_at, *index))
            .map(|(_, s)| (s.score, s.achieved_at)),
        Operator::Sum => scores
            .iter()
            .map(|(_, s)| s.achieved_at)
            .max()
            .map(|latest| (clamped(scores.iter().map(|(_, s)| i128::from(s.score)).sum()), latest)),
    };
    chosen.expect("a player on a board has scored on it")
}

/// A total as a board shows it: clamped to ±2^53, the largest scores a JSON number holds exactly.
fn clamped(total: i128) -> i64 {
    total.clamp(-(1 << 53), 1 << 53) as i64
}

/// Whether score `a` ranks before, with or after score `b`.
fn ranks_before(order: SortOrder, a: i64, b: i64) -> Ordering {
    match order {
        SortOrder::Desc => b.cmp(&a),
        SortOrder::Asc => a.cmp(&b),
    }
}

/// The boards a submission counts on: every period's window that contains its `achievedAt`, globally
/// and in its region.
fn board_ids(game: &str, submission: &Submission) -> Vec<String> {
    let day = submission.achieved_at.date_naive();
    let iso = day.iso_week();
    let monday = NaiveDate::from_isoywd_opt(iso.year(), iso.week(), chrono::Weekday::Mon).unwrap();
    let first = NaiveDate::from_ymd_opt(day.year(), day.month(), 1).unwrap();
    let windows = [
        ("all", "all".to_owned()),
        ("day", day.to_string()),
        ("week", monday.to_string()),
        ("month", first.to_string()),
    ];
    let regions = std::iter::once("~").chain(submission.region);
    regions
        .flat_map(|region| {
            windows.iter().map(move |(period, window)| format!("{game}:{period}:{window}:{region}"))
        })
        .collect()
}

/// `achievedAt` as the documents show it.
fn shown(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}
