//! The queues as a worker's gauges (`job_queue_*` on its `/metrics`): jobs by kind and status, the
//! oldest queued job's age, the pause and the limits, as `PUT /v1/queues/{kind}` and the jobs change.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::json;

use crate::queues::{put_queue, stack_with_an_admin};

/// The `job_queue_*` samples of a Prometheus page, by name and labels as written
/// (`job_queue_jobs{kind="message",status="queued"}`).
fn queue_gauges(page: &str) -> HashMap<String, f64> {
    page.lines()
        .filter(|line| line.starts_with("job_queue_"))
        .filter_map(|line| {
            let (sample, value) = line.rsplit_once(' ')?;
            Some((sample.to_owned(), value.parse().ok()?))
        })
        .collect()
}

#[tokio::test]
async fn a_worker_reports_each_queue_s_depth_age_pause_and_limits_as_they_change() {
    let (stack, admin) = stack_with_an_admin().await;
    let paused = json!({ "paused": true, "concurrency": 7, "ratePerSecond": 2.5 });
    assert_eq!(put_queue(&stack, &admin, "message", paused).await.status(), 200);
    for n in 0..3 {
        assert_eq!(stack.post("/v1/jobs", json!({ "message": format!("m{n}") })).await.status(), 202);
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut worker = stack.worker_binary();
    worker.env("REPRISE_WORKER__HEALTH_ADDR", format!("127.0.0.1:{port}"));
    let _worker = worker.spawn().expect("start the worker binary");
    let metrics = format!("http://127.0.0.1:{port}/metrics");
    let gauges_once = |wanted: &'static [(&'static str, f64)]| {
        let (http, metrics) = (stack.http.clone(), metrics.clone());
        async move {
            let page = http.get(&metrics).send().await.ok()?.text().await.ok()?;
            let gauges = queue_gauges(&page);
            wanted.iter().all(|(sample, value)| gauges.get(*sample) == Some(value)).then_some(gauges)
        }
    };

    let gauges = testkit::wait_until("the paused queue's gauges", Duration::from_secs(30), || {
        gauges_once(&[
            (r#"job_queue_jobs{kind="message",status="queued"}"#, 3.0),
            (r#"job_queue_jobs{kind="message",status="succeeded"}"#, 0.0),
            (r#"job_queue_paused{kind="message"}"#, 1.0),
            (r#"job_queue_concurrency_limit{kind="message"}"#, 7.0),
            (r#"job_queue_rate_limit_per_second{kind="message"}"#, 2.5),
            (r#"job_queue_paused{kind="webhook"}"#, 0.0),
            (r#"job_queue_running_slots{kind="message"}"#, 0.0),
        ])
    })
    .await;
    assert!(gauges[r#"job_queue_oldest_queued_age_seconds{kind="message"}"#] > 0.0);

    let resumed = json!({ "paused": false, "concurrency": null, "ratePerSecond": null });
    assert_eq!(put_queue(&stack, &admin, "message", resumed).await.status(), 200);
    let gauges = testkit::wait_until("the resumed queue's gauges", Duration::from_secs(30), || {
        gauges_once(&[
            (r#"job_queue_jobs{kind="message",status="queued"}"#, 0.0),
            (r#"job_queue_jobs{kind="message",status="succeeded"}"#, 3.0),
            (r#"job_queue_paused{kind="message"}"#, 0.0),
            (r#"job_queue_concurrency_limit{kind="message"}"#, 0.0),
            (r#"job_queue_rate_limit_per_second{kind="message"}"#, 0.0),
        ])
    })
    .await;
    assert_eq!(gauges[r#"job_queue_oldest_queued_age_seconds{kind="message"}"#], 0.0);
}
