use chrono::TimeZone;
use cqrs_es::test::TestFramework;

use super::*;

fn at(second: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, second).unwrap()
}

fn upload() -> Upload {
    Upload {
        filename: "clip.mp4".into(),
        content_type: "video/mp4".into(),
        video_key: "videos/c1".into(),
        video_bytes: 10,
        video_sha256: "ab".into(),
        owner: "u1".into(),
        owner_email: "ada@example.com".into(),
        request_hash: "h1".into(),
    }
}

fn requested() -> ConversionEvent {
    ConversionEvent::ConversionRequested { upload: upload(), requested_at: at(0) }
}

fn mp3() -> Mp3 {
    Mp3 { key: "mp3/c1".into(), bytes: 5, sha256: "cd".into(), duration_seconds: 1.5 }
}

fn conversions() -> TestFramework<Conversion> {
    TestFramework::<Conversion>::with(())
}

#[test]
fn a_requested_conversion_starts_progresses_and_succeeds_with_what_the_email_needs() {
    conversions()
        .given(vec![requested()])
        .when(ConversionCommand::Start { converter: "c".into(), at: at(1) })
        .then_expect_events(vec![ConversionEvent::ConversionStarted {
            converter: "c".into(),
            started_at: at(1),
        }]);
    conversions()
        .given(vec![
            requested(),
            ConversionEvent::ConversionStarted { converter: "c".into(), started_at: at(1) },
        ])
        .when(ConversionCommand::Complete { mp3: mp3(), at: at(2) })
        .then_expect_events(vec![ConversionEvent::ConversionSucceeded {
            mp3: mp3(),
            finished_at: at(2),
            filename: "clip.mp4".into(),
            owner_email: "ada@example.com".into(),
        }]);
}

#[test]
fn progress_only_moves_forward() {
    let started = ConversionEvent::ConversionStarted { converter: "c".into(), started_at: at(1) };
    let half = ConversionEvent::ConversionProgressed { percent: 50, at: at(2) };
    conversions()
        .given(vec![requested(), started, half])
        .when(ConversionCommand::Progress { percent: 40, at: at(3) })
        .then_expect_events(vec![]);
}

#[test]
fn a_finished_conversion_refuses_a_duplicate_delivery() {
    let done = ConversionEvent::ConversionSucceeded {
        mp3: mp3(),
        finished_at: at(2),
        filename: "clip.mp4".into(),
        owner_email: "ada@example.com".into(),
    };
    conversions()
        .given(vec![requested(), done])
        .when(ConversionCommand::Start { converter: "c".into(), at: at(3) })
        .then_expect_error(ConversionRefusal::Finished);
}

#[test]
fn a_redelivered_conversion_starts_again_after_a_crash() {
    let started = ConversionEvent::ConversionStarted { converter: "c1".into(), started_at: at(1) };
    conversions()
        .given(vec![requested(), started])
        .when(ConversionCommand::Start { converter: "c2".into(), at: at(9) })
        .then_expect_events(vec![ConversionEvent::ConversionStarted {
            converter: "c2".into(),
            started_at: at(9),
        }]);
}

#[test]
fn requesting_again_answers_with_the_first_requests_hash() {
    conversions()
        .given(vec![requested()])
        .when(ConversionCommand::Request { upload: upload(), at: at(1) })
        .then_expect_error(ConversionRefusal::AlreadyRequested { request_hash: "h1".into() });
}
