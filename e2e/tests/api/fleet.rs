//! Reprise as a fleet, as `make up REPLICAS=2` runs it: copies of every service under supervisord
//! behind nginx, on a database, key prefix and exchange prefix of their own. Processes are killed
//! with SIGKILL for real (and in `chaos.rs`, one copy of everything in turn under traffic).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use e2e::{Fleet, FleetOptions};
use futures::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

/// How long supervisord may take to start a killed process again and have it ready.
const RESTART_BOUND: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn supervisord_starts_a_killed_service_again_and_it_answers_ready_within_seconds() {
    let fleet = Fleet::start(FleetOptions::default()).await;
    for program in ["command-api-1", "query-api-1", "projector-1"] {
        let killed = fleet.kill(program);
        let took = fleet.wait_restarted(program, killed, RESTART_BOUND).await;
        println!("{program}: back and ready {took:?} after SIGKILL");
    }
    let token = fleet.sign_up("ada").await;
    let me = fleet.http().get(format!("{}/v1/users/me", fleet.url)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(me.status(), 200, "the restarted stack serves through nginx");
    // supervisord calls a process RUNNING once it has lasted a second (`startsecs`).
    testkit::wait_until("all nine processes to be RUNNING", Duration::from_secs(5), || async {
        let status = fleet.supervisorctl(&["status"]);
        (status.lines().filter(|l| l.contains("RUNNING")).count() == 9).then_some(())
    })
    .await;
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The `message-new` frames a socket receives within `window`.
async fn new_messages(socket: &mut Socket, window: Duration) -> Vec<Value> {
    let mut frames = vec![];
    let _ = tokio::time::timeout(window, async {
        while let Some(Ok(Message::Text(text))) = socket.next().await {
            let frame: Value = serde_json::from_str(text.as_str()).expect("a JSON frame");
            if frame["type"] == "message-new" {
                frames.push(frame);
            }
        }
    })
    .await;
    frames
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_message_posted_once_reaches_a_socket_on_each_of_two_live_instances_once() {
    let fleet = Fleet::start(FleetOptions { replicas: 2, ..FleetOptions::default() }).await;
    let ada = fleet.sign_up("ada").await;
    let bob = fleet.sign_up("bob").await;
    let mut sockets = vec![];
    for (live, token) in [("live-1", &ada), ("live-2", &bob)] {
        let url = format!("{}/v1/ws?auth={token}", fleet.address_of(live).replace("http://", "ws://"));
        let (socket, _) =
            tokio_tungstenite::connect_async(url).await.unwrap_or_else(|e| panic!("a socket on {live}: {e}"));
        sockets.push(socket);
    }
    let channel = fleet.post(&ada, "/v1/channels", json!({ "name": "lobby" })).await;
    let path = format!("/v1/channels/{}", channel["id"].as_str().unwrap());
    let message = fleet.post(&ada, &path, json!({ "body": "hello" })).await;

    for socket in &mut sockets {
        let frames = new_messages(socket, Duration::from_secs(5)).await;
        assert_eq!(frames.len(), 1, "one push per socket: {frames:?}");
        assert_eq!(frames[0]["message"]["id"], message["id"]);
    }
}

/// Counts the webhook calls each job made.
async fn webhook_receiver() -> (String, Arc<Mutex<HashMap<String, u32>>>) {
    let calls: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
    let counted = calls.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap| {
            let counted = counted.clone();
            async move {
                let job =
                    headers.get("x-reprise-job").and_then(|v| v.to_str().ok()).unwrap_or("?").to_owned();
                *counted.lock().unwrap().entry(job).or_default() += 1;
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, calls)
}

/// A counter's value in a Prometheus text page, summed over its labels.
fn counter(page: &str, name: &str) -> f64 {
    page.lines()
        .filter(|line| line.starts_with(name) && !line.starts_with('#'))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_at_full_concurrency_run_each_of_two_thousand_jobs_exactly_once() {
    let fleet = Fleet::start(FleetOptions { replicas: 2, ..FleetOptions::default() }).await;
    let token = fleet.sign_up("ada").await;
    let (hook, calls) = webhook_receiver().await;
    let http = fleet.http();
    let jobs = futures::stream::iter(0..2_000)
        .map(|n| {
            let body = json!({ "message": format!("job {n}"), "kind": "webhook", "payload": { "url": hook, "n": n } });
            let request = http.post(format!("{}/v1/jobs", fleet.url)).bearer_auth(&token).json(&body);
            async move {
                let response = request.send().await.expect("POST /v1/jobs");
                assert_eq!(response.status(), 202);
                let body: Value = response.json().await.unwrap();
                body["jobId"].as_str().unwrap().to_owned()
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await;

    let pool = sqlx::PgPool::connect(&fleet.database.url()).await.unwrap();
    testkit::wait_until("every job to succeed", Duration::from_secs(120), || async {
        let succeeded: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM events WHERE aggregate_type = 'job' AND event_type = 'JobSucceeded'",
        )
        .fetch_one(&pool)
        .await
        .ok()?;
        (succeeded >= 2_000).then_some(())
    })
    .await;
    let calls = calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 2_000, "every job called its webhook");
    assert!(jobs.iter().all(|job| calls.get(job) == Some(&1)), "each job called it exactly once");
    let started: Vec<f64> = futures::future::join_all(["worker-1", "worker-2"].map(|worker| async {
        let page = http.get(format!("{}/metrics", fleet.address_of(worker))).send().await.unwrap();
        counter(&page.text().await.unwrap(), "jobs_started_total")
    }))
    .await;
    assert_eq!(started.iter().sum::<f64>(), 2_000.0, "no run started twice: {started:?}");
    assert!(started.iter().all(|runs| *runs > 0.0), "both workers took jobs: {started:?}");
}
