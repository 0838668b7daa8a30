//! Reprise as a fleet, as `make up REPLICAS=2` runs it: copies of every service under supervisord
//! behind nginx, on a database, key prefix and exchange prefix of their own. Processes are killed
//! with SIGKILL for real.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use e2e::{Fleet, FleetOptions};
use futures::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

/// How long the projector or relay may go without a leader once the active one is killed: the advisory
/// lock goes with the dead process's connection, and a standby asks for it every 0.5 s (so does the
/// killed copy once supervisord has started it again; whichever asks first leads).
const TAKEOVER_BOUND: Duration = Duration::from_secs(5);

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
    let http = fleet.http();
    let channel: Value = http
        .post(format!("{}/v1/channels", fleet.url))
        .bearer_auth(&ada)
        .json(&json!({ "name": "lobby" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let path = format!("{}/v1/channels/{}", fleet.url, channel["id"].as_str().unwrap());
    let message: Value = http
        .post(path)
        .bearer_auth(&ada)
        .json(&json!({ "body": "hello" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

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

/// Whether `program`'s metrics say it leads (`{service}_leading 1`).
async fn leads(fleet: &Fleet, program: &str, service: &str) -> bool {
    let url = format!("{}/metrics", fleet.address_of(program));
    let Ok(response) = fleet.http().get(url).send().await else { return false };
    let page = response.text().await.unwrap_or_default();
    page.lines().any(|line| line == format!("{service}_leading 1"))
}

/// The copy of `service` (projector or relay) that leads now, and its pid.
async fn leader(fleet: &Fleet, service: &str) -> (String, u32) {
    testkit::wait_until(&format!("a {service} to lead"), TAKEOVER_BOUND * 2, || async {
        for copy in 1..=fleet.replicas {
            let program = format!("{service}-{copy}");
            if leads(fleet, &program, service).await {
                return Some((program.clone(), fleet.pid(&program)?));
            }
        }
        None
    })
    .await
}

/// What the traffic got answered.
#[derive(Default)]
struct Accepted {
    scores: Vec<(String, String)>,
    jobs: Vec<String>,
    messages: Vec<String>,
    conversions: Vec<String>,
    refused: BTreeMap<u16, u32>,
}

/// Posts scores, jobs and chat messages through nginx, one after another each, until `stop`.
async fn drive(
    fleet: &Fleet,
    token: &str,
    channel: &str,
    stop: &tokio_util::sync::CancellationToken,
) -> Accepted {
    let accepted = Mutex::new(Accepted::default());
    let http = fleet.http();
    let post = |path: String, body: Value| {
        let request = http.post(format!("{}{path}", fleet.url)).bearer_auth(token).json(&body);
        async move {
            let response = request.send().await.ok()?;
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap_or_default();
            Some((status, body))
        }
    };
    let record = |answer: Option<(u16, Value)>, expected: u16| -> Option<Value> {
        let (status, body) = answer?;
        if status == expected {
            return Some(body);
        }
        *accepted.lock().unwrap().refused.entry(status).or_default() += 1;
        None
    };
    let scores = async {
        for n in 0.. {
            if stop.is_cancelled() {
                break;
            }
            let player = format!("p{n}");
            let body = json!({ "game": "fleet", "player": player, "score": n });
            if let Some(job) = record(post("/v1/scores".into(), body).await, 202) {
                accepted.lock().unwrap().scores.push((job["jobId"].as_str().unwrap().to_owned(), player));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let jobs = async {
        for n in 0.. {
            if stop.is_cancelled() {
                break;
            }
            if let Some(job) =
                record(post("/v1/jobs".into(), json!({ "message": format!("m{n}") })).await, 202)
            {
                accepted.lock().unwrap().jobs.push(job["jobId"].as_str().unwrap().to_owned());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let messages = async {
        for n in 0.. {
            if stop.is_cancelled() {
                break;
            }
            let answer = post(format!("/v1/channels/{channel}"), json!({ "body": format!("b{n}") })).await;
            if let Some(message) = record(answer, 201) {
                accepted.lock().unwrap().messages.push(message["id"].as_str().unwrap().to_owned());
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    };
    let video = std::fs::read(sample_video()).expect("the sample video");
    let conversions = async {
        while !stop.is_cancelled() {
            let request = http
                .post(format!("{}/v1/conversions?filename=clip.mp4", fleet.url))
                .bearer_auth(token)
                .header("content-type", "video/mp4")
                .body(video.clone());
            let answer = match request.send().await {
                Ok(response) => Some((response.status().as_u16(), response.json().await.unwrap_or_default())),
                Err(_) => None,
            };
            if let Some(conversion) = record(answer, 202) {
                let id = conversion["conversionId"].as_str().unwrap().to_owned();
                accepted.lock().unwrap().conversions.push(id);
            }
            tokio::time::sleep(Duration::from_millis(1_500)).await;
        }
    };
    tokio::join!(scores, jobs, messages, conversions);
    accepted.into_inner().unwrap()
}

/// A one-second video with sound, made by ffmpeg's test sources.
fn sample_video() -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("reprise-fleet-{}.mp4", uuid::Uuid::new_v4().simple()));
    let status = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=duration=1:size=160x120:rate=10"])
        .args([
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=1",
            "-shortest",
            "-c:v",
            "mpeg4",
            "-c:a",
            "aac",
        ])
        .arg(&path)
        .status()
        .expect("ffmpeg (make deps installs it)");
    assert!(status.success(), "ffmpeg made the sample video");
    path
}

/// Every message id of a channel, newest first, following `before` to the first.
async fn all_messages(fleet: &Fleet, token: &str, channel: &str) -> Vec<String> {
    let mut ids = vec![];
    let mut before = String::new();
    for _ in 0..1_000 {
        let query = if before.is_empty() { String::new() } else { format!("?before={before}") };
        let page: Value = fleet
            .http()
            .get(format!("{}/v1/channels/{channel}{query}", fleet.url))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let items = page["items"].as_array().unwrap();
        if items.is_empty() {
            break;
        }
        ids.extend(items.iter().map(|m| m["id"].as_str().unwrap().to_owned()));
        before = ids.last().unwrap().clone();
    }
    ids
}

/// The final status of job `id`, waiting (long polls, bounded) for it to be final.
async fn final_status(fleet: &Fleet, token: &str, id: &str) -> String {
    for _ in 0..12 {
        let response = fleet
            .http()
            .get(format!("{}/v1/jobs/{id}", fleet.url))
            .bearer_auth(token)
            .header("Prefer", "wait=5")
            .send()
            .await;
        let Ok(response) = response else { continue };
        let job: Value = response.json().await.unwrap_or_default();
        let status = job["status"].as_str().unwrap_or_default().to_owned();
        if matches!(status.as_str(), "succeeded" | "failed" | "cancelled") {
            return status;
        }
    }
    panic!("job {id} is not final after a minute");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killing_each_copy_under_traffic_loses_no_accepted_write_and_standbys_take_over() {
    let env = vec![("REPRISE_MEETUPS__MESSAGES_PER_MINUTE".to_owned(), "100000".to_owned())];
    let fleet = Fleet::start(FleetOptions { replicas: 2, env }).await;
    let token = fleet.sign_up("ada").await;
    let channel: Value = fleet
        .http()
        .post(format!("{}/v1/channels", fleet.url))
        .bearer_auth(&token)
        .json(&json!({ "name": "fleet" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let channel = channel["id"].as_str().unwrap().to_owned();

    let stop = tokio_util::sync::CancellationToken::new();
    let faults = async {
        let mut report = vec![];
        tokio::time::sleep(Duration::from_secs(2)).await;
        for (copy, service) in (1..).zip(e2e::SERVICES) {
            let program = match service {
                "projector" | "relay" => leader(&fleet, service).await.0,
                _ => format!("{service}-{}", 1 + copy % 2),
            };
            let killed = fleet.kill(&program);
            let started = Instant::now();
            if matches!(service, "projector" | "relay") {
                // Held down, so that the standby takes over rather than the killed copy started again.
                fleet.supervisorctl(&["stop", &program]);
                let (next, _) = testkit::wait_until("the standby to lead", TAKEOVER_BOUND, || async {
                    Some(leader(&fleet, service).await).filter(|(next, _)| *next != program)
                })
                .await;
                report
                    .push(format!("{program} killed: the standby {next} led after {:?}", started.elapsed()));
                fleet.supervisorctl(&["start", &program]);
            }
            let back = fleet.wait_restarted(&program, killed, RESTART_BOUND).await;
            report.push(format!("{program} killed: restarted and ready after {back:?}"));
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        stop.cancel();
        report
    };
    let (report, accepted) = tokio::join!(faults, drive(&fleet, &token, &channel, &stop));
    println!("{}", report.join("\n"));
    println!(
        "accepted: {} scores, {} jobs, {} messages, {} conversions; refused: {:?}",
        accepted.scores.len(),
        accepted.jobs.len(),
        accepted.messages.len(),
        accepted.conversions.len(),
        accepted.refused
    );
    assert!(accepted.scores.len() > 100 && accepted.jobs.len() > 100 && accepted.messages.len() > 30);
    assert!(accepted.conversions.len() > 5);

    // A conversion's id is its job's.
    let jobs = accepted.scores.iter().map(|(job, _)| job).chain(&accepted.jobs).chain(&accepted.conversions);
    let statuses = futures::stream::iter(jobs)
        .map(|job| final_status(&fleet, &token, job))
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    assert!(statuses.iter().all(|s| s == "succeeded"), "every accepted job succeeded: {statuses:?}");
    let players = futures::stream::iter(&accepted.scores)
        .map(|(_, player)| {
            let request = fleet.http().get(format!("{}/v1/leaderboards/fleet/players/{player}", fleet.url));
            async move { request.send().await.map(|r| r.status().as_u16()).unwrap_or(0) }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    assert!(players.iter().all(|s| *s == 200), "every accepted score is on the board");

    let listed = all_messages(&fleet, &token, &channel).await;
    let mut counts: HashMap<&str, u32> = HashMap::new();
    for id in &listed {
        *counts.entry(id).or_default() += 1;
    }
    assert!(counts.values().all(|n| *n == 1), "no message is listed twice");
    assert!(
        accepted.messages.iter().all(|id| counts.contains_key(id.as_str())),
        "every 201 message is listed"
    );

    let pool = sqlx::PgPool::connect(&fleet.database.url()).await.unwrap();
    let twice: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT aggregate_id FROM events WHERE event_type = 'JobSucceeded'
           GROUP BY aggregate_id HAVING count(*) > 1) AS t",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(twice, 0, "no job succeeded twice");
    let converted_twice: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT aggregate_id FROM events WHERE event_type = 'ConversionSucceeded'
           GROUP BY aggregate_id HAVING count(*) > 1) AS t",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(converted_twice, 0, "no video was converted twice");

    // A notifier killed between the mail server's answer and its ledger may send an e-mail again; the
    // copy carries the same Message-ID, by which mail systems drop it.
    for conversion in &accepted.conversions {
        let ids: std::collections::BTreeSet<_> =
            testkit::wait_until("its e-mail", Duration::from_secs(30), || {
                let mails = fleet.smtp.messages();
                async move {
                    let ids: std::collections::BTreeSet<_> = mails
                        .iter()
                        .filter(|m| testkit::smtp::body(m).contains(conversion.as_str()))
                        .filter_map(|m| testkit::smtp::header(m, "Message-ID"))
                        .collect();
                    (!ids.is_empty()).then_some(ids)
                }
            })
            .await;
        assert_eq!(ids.len(), 1, "one e-mail for conversion {conversion}: {ids:?}");
    }
    println!("{} e-mails for {} conversions", fleet.smtp.messages().len(), accepted.conversions.len());
}
