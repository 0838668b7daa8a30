use std::time::Duration;

use super::*;
use crate::stats::Ending;

fn summary() -> Summary {
    let mut stats = Stats::default();
    let reads = stats.kind(Kind::LeaderboardRead);
    reads.planned = 3;
    reads.sent = 3;
    for ms in [2, 4, 100] {
        stats.record(Kind::LeaderboardRead, Ending::Status(200), Duration::from_millis(ms));
    }
    let scores = stats.kind(Kind::ScoreSubmission);
    scores.planned = 2;
    scores.sent = 1;
    scores.dropped = 1;
    stats.record(Kind::ScoreSubmission, Ending::Timeout, Duration::from_secs(10));
    stats.jobs.accepted = 1;
    let facts = RunFacts {
        url: "http://127.0.0.1:8080".into(),
        seed: 42,
        rate: 2.0,
        duration: Duration::from_secs(2),
        sending: Duration::from_secs(2),
        interrupted: false,
    };
    Summary::new(facts, &stats)
}

#[test]
fn the_achieved_rate_counts_sent_requests_per_second_of_sending() {
    let summary = summary();
    assert_eq!(summary.sent(), 4);
    assert_eq!(summary.answered(), 3);
    assert_eq!(summary.achieved_rate, 2.0);
    assert_eq!(summary.dropped, 1);
}

#[test]
fn percentiles_are_in_milliseconds() {
    let reads = &summary().kinds[0];
    let latency = reads.latency_ms.unwrap();
    assert_eq!(latency.p50, 4.0);
    assert!((latency.max - 100.0).abs() < 0.1, "{latency:?}");
    assert_eq!(summary().kinds[1].latency_ms, None, "a timeout has no latency");
}

#[test]
fn the_table_says_how_latency_is_measured_and_lists_status_codes() {
    let table = summary().table();
    assert!(table.contains("no coordinated omission"), "{table}");
    assert!(table.contains("200×3"), "{table}");
    assert!(table.contains("timeout×1"), "{table}");
    assert!(table.contains("seed 42"), "{table}");
}

#[test]
fn the_json_uses_camel_case_for_scripts() {
    let json = serde_json::to_value(summary()).unwrap();
    assert_eq!(json["achievedRate"], 2.0);
    assert_eq!(json["kinds"][0]["kind"], "leaderboardRead");
    assert_eq!(json["kinds"][0]["endings"]["200"], 3);
    assert_eq!(json["jobs"]["acceptedToSucceededMs"], serde_json::Value::Null);
}
