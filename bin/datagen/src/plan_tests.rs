use std::collections::HashMap;
use std::time::Duration;

use super::*;

fn config(rate: f64, seconds: u64) -> PlanConfig {
    PlanConfig {
        rate,
        duration: Duration::from_secs(seconds),
        mix: Mix { reads: 70.0, scores: 25.0, polls: 5.0 },
        players: 10_000,
        games: 5,
        zipf_exponent: 1.1,
    }
}

fn plan(config: &PlanConfig, seed: u64) -> Vec<Planned> {
    Plan::new(config, seed).unwrap().collect()
}

#[test]
fn the_same_seed_and_flags_give_the_same_plan() {
    let config = config(500.0, 20);
    let first = plan(&config, 42);
    assert!(first.len() > 1000);
    assert_eq!(first, plan(&config, 42));
}

#[test]
fn another_seed_gives_another_plan() {
    let config = config(500.0, 5);
    assert_ne!(plan(&config, 1), plan(&config, 2));
}

#[test]
fn requests_come_in_time_order_within_the_duration() {
    let config = config(1000.0, 3);
    let planned = plan(&config, 7);
    assert!(planned.windows(2).all(|pair| pair[0].at <= pair[1].at));
    assert!(planned.iter().all(|request| request.at < config.duration));
}

#[test]
fn poisson_arrivals_average_the_rate() {
    let planned = plan(&config(200.0, 100), 3);
    let count = planned.len() as f64;
    // 20,000 expected with a standard deviation of about 141.
    assert!((count - 20_000.0).abs() < 600.0, "{count} arrivals");
    let gaps: Vec<f64> = planned.windows(2).map(|pair| (pair[1].at - pair[0].at).as_secs_f64()).collect();
    let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
    let variance = gaps.iter().map(|gap| (gap - mean).powi(2)).sum::<f64>() / gaps.len() as f64;
    // Exponential gaps: the standard deviation equals the mean (a fixed-interval schedule has none).
    assert!((mean - 0.005).abs() < 0.0002, "mean gap {mean}");
    assert!(
        (variance.sqrt() / mean - 1.0).abs() < 0.05,
        "coefficient of variation {}",
        variance.sqrt() / mean
    );
}

#[test]
fn the_mix_of_kinds_is_close_to_the_flags() {
    let mut config = config(1000.0, 100);
    config.mix = Mix { reads: 60.0, scores: 30.0, polls: 10.0 };
    let planned = plan(&config, 11);
    let share = |kind: Kind| {
        planned.iter().filter(|request| request.request.kind() == kind).count() as f64 / planned.len() as f64
    };
    assert!((share(Kind::LeaderboardRead) - 0.60).abs() < 0.01);
    assert!((share(Kind::ScoreSubmission) - 0.30).abs() < 0.01);
    assert!((share(Kind::JobPoll) - 0.10).abs() < 0.01);
}

#[test]
fn a_zero_weight_kind_is_never_sent() {
    let mut config = config(1000.0, 10);
    config.mix = Mix { reads: 0.0, scores: 1.0, polls: 0.0 };
    assert!(plan(&config, 5).iter().all(|request| request.request.kind() == Kind::ScoreSubmission));
}

#[test]
fn players_are_skewed_the_most_active_far_above_the_median() {
    let mut config = config(2000.0, 100);
    config.mix = Mix { reads: 0.0, scores: 1.0, polls: 0.0 };
    let mut counts: HashMap<String, u64> = HashMap::new();
    for planned in plan(&config, 13) {
        let Request::Score(score) = planned.request else { unreachable!("only scores are planned") };
        *counts.entry(score.player).or_default() += 1;
    }
    let mut per_player: Vec<u64> =
        (1..=config.players).map(|n| counts.get(&format!("p{n}")).copied().unwrap_or(0)).collect();
    per_player.sort_unstable();
    let median = per_player[per_player.len() / 2].max(1);
    let top = *per_player.last().unwrap();
    assert!(top > 100 * median, "top {top}, median {median}");
    assert_eq!(counts.get("p1").copied(), Some(top), "p1 is the most active player");
}

#[test]
fn scores_are_positive_integers_around_the_median() {
    let mut config = config(1000.0, 20);
    config.mix = Mix { reads: 0.0, scores: 1.0, polls: 0.0 };
    let mut scores: Vec<i64> = plan(&config, 17)
        .into_iter()
        .map(|planned| match planned.request {
            Request::Score(score) => score.score,
            other => unreachable!("{other:?}"),
        })
        .collect();
    scores.sort_unstable();
    assert!(scores[0] >= 1);
    let median = scores[scores.len() / 2];
    assert!((800..1250).contains(&median), "median {median}");
}

#[test]
fn games_regions_and_filters_stay_within_their_sets() {
    let planned = plan(&config(1000.0, 10), 19);
    let games: Vec<String> = (0..5).map(|n| format!("g{n}")).collect();
    let mut with_region = 0;
    let mut reads = 0;
    for request in &planned {
        match &request.request {
            Request::Leaderboard(read) => {
                reads += 1;
                with_region += usize::from(read.region.is_some());
                assert!(games.contains(&read.game));
                assert!(PERIODS.iter().any(|(period, _)| *period == read.period));
                assert!(read.region.is_none_or(|region| REGIONS.contains(&region)));
            }
            Request::Score(score) => assert!(games.contains(&score.game)),
            Request::JobPoll { .. } => {}
        }
    }
    let share = with_region as f64 / reads as f64;
    assert!((share - READ_REGION).abs() < 0.03, "{share} of reads name a region");
}

#[test]
fn a_leaderboard_read_puts_its_filters_in_the_query_string() {
    let read = LeaderboardRead {
        game: "g3".into(),
        period: "week",
        region: Some("eu"),
        limit: Some(10),
        around: Some("p7".into()),
    };
    assert_eq!(read.path(), "/v1/leaderboards/g3?period=week&region=eu&limit=10&around=p7");
}

#[test]
fn a_score_without_region_leaves_the_field_out() {
    let score = ScoreSubmission { game: "g0".into(), player: "p1".into(), score: 5, region: None };
    assert_eq!(serde_json::to_string(&score).unwrap(), r#"{"game":"g0","player":"p1","score":5}"#);
}

#[test]
fn senseless_flags_are_refused() {
    let mut zero_mix = config(10.0, 1);
    zero_mix.mix = Mix { reads: 0.0, scores: 0.0, polls: 0.0 };
    assert!(Plan::new(&zero_mix, 1).is_err());
    assert!(Plan::new(&config(0.0, 1), 1).is_err());
    assert!(Plan::new(&config(10.0, 0), 1).is_err());
}
