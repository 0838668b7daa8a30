//! Video conversions end to end: upload through command-api, the relay, a converter running ffmpeg,
//! the projector, and the download from query-api; each stack with its own exchange, queues and blobs.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use e2e::{Stack, StackOptions};
use serde_json::Value;

/// A short video with sound, made by ffmpeg's test sources.
fn sample_video(dir: &Path, seconds: u32) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(format!("sample-{seconds}s.mp4"));
    if !path.exists() {
        let status = std::process::Command::new("ffmpeg")
            .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
            .arg(format!("testsrc=duration={seconds}:size=160x120:rate=10"))
            .args(["-f", "lavfi", "-i"])
            .arg(format!("sine=frequency=440:duration={seconds}"))
            .args(["-shortest", "-c:v", "mpeg4", "-c:a", "aac"])
            .arg(&path)
            .status()
            .expect("ffmpeg (make deps installs it)");
        assert!(status.success());
    }
    path
}

fn samples() -> PathBuf {
    std::env::temp_dir().join("reprise-samples").join(uuid::Uuid::new_v4().simple().to_string())
}

async fn upload(
    stack: &Stack,
    token: &str,
    name: &str,
    bytes: Vec<u8>,
    content_type: &str,
) -> reqwest::Response {
    let part =
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()).mime_str(content_type).unwrap();
    let form = reqwest::multipart::Form::new().part("file", part);
    stack
        .http
        .post(format!("{}/v1/conversions", stack.command))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn accepted(response: reqwest::Response) -> String {
    assert_eq!(response.status(), 202, "{:?}", response.text().await);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["conversionId"], body["jobId"]);
    body["conversionId"].as_str().unwrap().to_owned()
}

async fn get_as(stack: &Stack, token: &str, path: &str) -> reqwest::Response {
    stack.http.get(format!("{}{path}", stack.query)).bearer_auth(token).send().await.unwrap()
}

fn with_conversions() -> StackOptions {
    StackOptions { conversions: true, ..Default::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uploaded_video_becomes_an_mp3_its_owner_can_download_whole_or_in_part() {
    let stack = Stack::start_with(with_conversions()).await;
    let video = std::fs::read(sample_video(&samples(), 2)).unwrap();
    let id = accepted(upload(&stack, &stack.token, "holiday.mp4", video.clone(), "video/mp4").await).await;
    let job = stack.finished(&id).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["kind"], "conversion");

    let conversion: Value =
        get_as(&stack, &stack.token, &format!("/v1/conversions/{id}")).await.json().await.unwrap();
    assert_eq!(conversion["status"], "succeeded");
    assert_eq!(conversion["filename"], "holiday.mp4");
    assert_eq!(conversion["videoBytes"], video.len() as u64);
    let duration = conversion["durationSeconds"].as_f64().unwrap();
    assert!((1.5..3.0).contains(&duration), "{duration}");
    let mp3_bytes = conversion["mp3Bytes"].as_u64().unwrap();

    let download = get_as(&stack, &stack.token, &format!("/v1/conversions/{id}/mp3")).await;
    assert_eq!(download.status(), 200);
    assert_eq!(download.headers()["content-type"], "audio/mpeg");
    assert_eq!(download.headers()["content-disposition"], "attachment; filename=\"holiday.mp3\"");
    let etag = download.headers()["etag"].to_str().unwrap().to_owned();
    let whole = download.bytes().await.unwrap();
    assert_eq!(whole.len() as u64, mp3_bytes);

    let part = stack
        .http
        .get(format!("{}/v1/conversions/{id}/mp3", stack.query))
        .bearer_auth(&stack.token)
        .header("range", "bytes=10-109")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()["content-range"].to_str().unwrap(), format!("bytes 10-109/{mp3_bytes}"));
    assert_eq!(part.bytes().await.unwrap(), whole.slice(10..110));
    let unchanged = stack
        .http
        .get(format!("{}/v1/conversions/{id}/mp3", stack.query))
        .bearer_auth(&stack.token)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(unchanged.status(), 304);

    let listed: Value = get_as(&stack, &stack.token, "/v1/conversions").await.json().await.unwrap();
    assert_eq!(listed["items"][0]["id"], id.as_str());
    let other = stack.sign_up("mallory").await;
    assert_eq!(get_as(&stack, &other, &format!("/v1/conversions/{id}")).await.status(), 404);
    assert_eq!(get_as(&stack, &other, &format!("/v1/conversions/{id}/mp3")).await.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_is_recorded_in_steps_of_ten_percent_once_a_conversion_has_run_a_while() {
    let adjust: fn(&mut settings::Settings) = |settings| settings.conversions.progress_after_ms = 0;
    let stack = Stack::start_with(StackOptions { adjust: Some(adjust), ..with_conversions() }).await;
    let video = std::fs::read(sample_video(&samples(), 120)).unwrap();
    let id = accepted(upload(&stack, &stack.token, "long.mp4", video, "video/mp4").await).await;
    assert_eq!(stack.finished(&id).await["status"], "succeeded");
    let pool = sqlx::PgPool::connect(&stack.database.url()).await.unwrap();
    let percents: Vec<i64> = sqlx::query_scalar(
        "SELECT (payload->'ConversionProgressed'->>'percent')::bigint FROM events
         WHERE aggregate_id = $1 AND event_type = 'ConversionProgressed' ORDER BY sequence",
    )
    .bind(&id)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(!percents.is_empty(), "no progress was recorded");
    assert!(percents.iter().all(|p| p % 10 == 0 && (10..100).contains(p)), "{percents:?}");
    assert!(percents.windows(2).all(|pair| pair[0] < pair[1]), "{percents:?}");

    // With the default (1 s), nothing is recorded in a conversion's first second: on a quiet machine a
    // conversion this short records none at all, on a busy one only what comes after that second.
    let quick = Stack::start_with(with_conversions()).await;
    let video = std::fs::read(sample_video(&samples(), 120)).unwrap();
    let id = accepted(upload(&quick, &quick.token, "long.mp4", video, "video/mp4").await).await;
    assert_eq!(quick.finished(&id).await["status"], "succeeded");
    let pool = sqlx::PgPool::connect(&quick.database.url()).await.unwrap();
    let too_early: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events progressed
         JOIN events started ON started.aggregate_id = progressed.aggregate_id
                            AND started.event_type = 'ConversionStarted'
         WHERE progressed.aggregate_id = $1 AND progressed.event_type = 'ConversionProgressed'
           AND progressed.recorded_at < started.recorded_at + interval '1 second'",
    )
    .bind(&id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(too_early, 0, "progress was recorded within the first second of the conversion");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_bytes_fail_with_a_reason_and_a_raw_video_body_is_accepted() {
    let stack = Stack::start_with(with_conversions()).await;
    let noise: Vec<u8> = (0..50_000u32).map(|n| (n.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let id = accepted(upload(&stack, &stack.token, "noise.mp4", noise, "video/mp4").await).await;
    let job = stack.finished(&id).await;
    assert_eq!(job["status"], "failed", "{job}");
    let conversion: Value =
        get_as(&stack, &stack.token, &format!("/v1/conversions/{id}")).await.json().await.unwrap();
    assert!(conversion["error"].as_str().unwrap().contains("not a readable video"), "{conversion}");
    assert_eq!(get_as(&stack, &stack.token, &format!("/v1/conversions/{id}/mp3")).await.status(), 409);

    let video = std::fs::read(sample_video(&samples(), 1)).unwrap();
    let raw = stack
        .http
        .post(format!("{}/v1/conversions?filename=raw.mov", stack.command))
        .bearer_auth(&stack.token)
        .header("content-type", "video/quicktime")
        .body(video)
        .send()
        .await
        .unwrap();
    let id = accepted(raw).await;
    assert_eq!(stack.finished(&id).await["status"], "succeeded");
}

#[tokio::test]
async fn bad_uploads_get_400_413_415_and_401_and_leave_no_blob_behind() {
    let stack =
        Stack::start_with(StackOptions { max_upload_bytes: Some(10_000), ..Default::default() }).await;
    let url = format!("{}/v1/conversions", stack.command);
    let empty = reqwest::multipart::Form::new().text("title", "no file");
    let response = stack.http.post(&url).bearer_auth(&stack.token).multipart(empty).send().await.unwrap();
    assert_eq!(response.status(), 400);

    let part = |name: &str| {
        reqwest::multipart::Part::bytes(vec![0u8; 100])
            .file_name(name.to_owned())
            .mime_str("video/mp4")
            .unwrap()
    };
    let two = reqwest::multipart::Form::new().part("file", part("a.mp4")).part("file", part("b.mp4"));
    let response = stack.http.post(&url).bearer_auth(&stack.token).multipart(two).send().await.unwrap();
    assert_eq!(response.status(), 400);

    assert_eq!(
        upload(&stack, &stack.token, "notes.txt", b"hello".to_vec(), "text/plain").await.status(),
        415
    );
    let text = stack
        .http
        .post(&url)
        .bearer_auth(&stack.token)
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(text.status(), 415);

    let big = upload(&stack, &stack.token, "big.mp4", vec![7u8; 50_000], "video/mp4").await;
    assert_eq!(big.status(), 413);
    // A body without a declared length is stopped once it passes the limit.
    let chunks = futures::stream::iter((0..20).map(|_| Ok::<_, std::io::Error>(vec![1u8; 4096])));
    let streamed = stack
        .http
        .post(format!("{url}?filename=s.mp4"))
        .bearer_auth(&stack.token)
        .header("content-type", "video/mp4")
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    assert_eq!(streamed.status(), 413);
    let left: Vec<_> = walk(Path::new(&stack.settings.blobs.root));
    assert!(left.is_empty(), "partial blobs left behind: {left:?}");

    let anonymous = stack.http.post(&url).header("content-type", "video/mp4").body("x").send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return vec![] };
    entries
        .flatten()
        .flat_map(|entry| if entry.path().is_dir() { walk(&entry.path()) } else { vec![entry.path()] })
        .collect()
}

fn converter_binary() -> PathBuf {
    let deps = std::env::current_exe().expect("test binary path");
    deps.parent().and_then(|d| d.parent()).expect("target/debug").join("converter")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_converter_killed_mid_conversion_has_the_message_redelivered_and_the_mp3_made_once() {
    // A stack whose relay runs in-process but whose converter is a process of its own to kill.
    let stack = Stack::start_with(StackOptions { conversions: false, ..Default::default() }).await;
    let relay = relay::Relay::build(stack.settings.clone()).await.unwrap();
    let stop_relay = tokio_util::sync::CancellationToken::new();
    tokio::spawn(relay.run_until_stopped(stop_relay.clone()));
    let spawn_converter = || {
        tokio::process::Command::new(converter_binary())
            .env("REPRISE_DATABASE__URL", stack.database.url())
            .env("REPRISE_RABBITMQ__PREFIX", &stack.settings.rabbitmq.prefix)
            .env("REPRISE_BLOBS__ROOT", &stack.settings.blobs.root)
            .env("REPRISE_CONVERSIONS__CONVERTER_HEALTH_ADDR", "127.0.0.1:0")
            .env("APP_CONFIG_PATH", "/nonexistent")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start the converter binary (cargo build --workspace builds it)")
    };
    let mut doomed = spawn_converter();
    let video = std::fs::read(sample_video(&samples(), 120)).unwrap();
    let id = accepted(upload(&stack, &stack.token, "long.mp4", video, "video/mp4").await).await;
    testkit::wait_until("the conversion to run", Duration::from_secs(60), || async {
        let job: Value = get_as(&stack, &stack.token, &format!("/v1/jobs/{id}")).await.json().await.ok()?;
        (job["status"] == "running").then_some(())
    })
    .await;
    doomed.start_kill().unwrap();
    doomed.wait().await.unwrap();

    let _rescuer = spawn_converter();
    let job = stack.finished(&id).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let pool = sqlx::PgPool::connect(&stack.database.url()).await.unwrap();
    let outcomes: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE aggregate_id = $1 AND event_type IN ('ConversionSucceeded', 'ConversionFailed')",
    )
    .bind(&id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(outcomes, 1);
    let starts: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE aggregate_id = $1 AND event_type = 'ConversionStarted'",
    )
    .bind(&id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(starts, 2, "the redelivered message started the conversion again");
    stop_relay.cancel();
}

fn command_api_binary() -> PathBuf {
    let deps = std::env::current_exe().expect("test binary path");
    deps.parent().and_then(|d| d.parent()).expect("target/debug").join("command-api")
}

fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_300_mb_upload_streams_through_a_command_api_whose_peak_memory_stays_under_100_mb() {
    use secrecy::ExposeSecret;
    let stack = Stack::start().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut command_api = tokio::process::Command::new(command_api_binary())
        .env("REPRISE_DATABASE__URL", stack.database.url())
        .env("REPRISE_REDIS__KEY_PREFIX", &stack.settings.redis.key_prefix)
        .env("REPRISE_AUTH__JWT_SECRET", stack.settings.auth.jwt_secret.as_ref().unwrap().expose_secret())
        .env("REPRISE_BLOBS__ROOT", &stack.settings.blobs.root)
        .env("REPRISE_HTTP__COMMAND_ADDR", format!("127.0.0.1:{port}"))
        .env("APP_CONFIG_PATH", "/nonexistent")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start the command-api binary (cargo build --workspace builds it)");
    let url = format!("http://127.0.0.1:{port}");
    testkit::wait_until("command-api to answer", Duration::from_secs(20), || async {
        reqwest::get(format!("{url}/readyz")).await.ok().filter(|r| r.status() == 200).map(|_| ())
    })
    .await;
    let before = peak_rss_kib(command_api.id().unwrap());

    const CHUNK: usize = 1 << 20;
    let chunks =
        futures::stream::iter((0..300u32).map(|n| Ok::<_, std::io::Error>(vec![(n % 251) as u8; CHUNK])));
    let response = stack
        .http
        .post(format!("{url}/v1/conversions?filename=big.mp4"))
        .bearer_auth(&stack.token)
        .header("content-type", "video/mp4")
        .body(reqwest::Body::wrap_stream(chunks))
        .timeout(Duration::from_secs(120))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202, "{:?}", response.text().await);
    let peak = peak_rss_kib(command_api.id().unwrap());
    eprintln!("command-api peak RSS: {} MiB before the upload, {} MiB after", before / 1024, peak / 1024);
    assert!(peak < 100 * 1024, "peak RSS {} KiB", peak);
    let stored: u64 =
        walk(Path::new(&stack.settings.blobs.root)).iter().map(|p| p.metadata().unwrap().len()).sum();
    assert_eq!(stored, 300 * CHUNK as u64);
    command_api.start_kill().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_gets_one_email_saying_the_mp3_is_ready_with_its_id_and_download_path() {
    let smtp = testkit::smtp::SmtpServer::start_accepting().await;
    let stack = Stack::start_with(StackOptions {
        conversions: true,
        smtp_port: Some(smtp.port()),
        ..Default::default()
    })
    .await;
    let video = std::fs::read(sample_video(&samples(), 1)).unwrap();
    let id = accepted(upload(&stack, &stack.token, "song.mp4", video, "video/mp4").await).await;
    assert_eq!(stack.finished(&id).await["status"], "succeeded");
    let mail = smtp.wait_for_mail(Duration::from_secs(30)).await;
    assert_eq!(mail.len(), 1);
    assert_eq!(testkit::smtp::header(&mail[0], "Subject").as_deref(), Some("Your MP3 is ready"));
    assert!(testkit::smtp::header(&mail[0], "To").unwrap().contains("tester@example.com"));
    let body = testkit::smtp::body(&mail[0]);
    assert!(body.contains(&id) && body.contains(&format!("/v1/conversions/{id}/mp3")), "{body}");
}
