//! Uploads command-api refuses before reading their bodies, through nginx: the client gets the real
//! answer (401, 413, 415, 422) as a problem every time, never the 503 nginx makes of a reset
//! connection (issue 17).

use std::collections::BTreeMap;
use std::time::Duration;

use e2e::{Nginx, Stack, StackOptions};
use serde_json::Value;

/// Each refusal is tried this many times: the reset was a race, lost most of the time at 5 MB.
const TRIES: usize = 20;
/// A body far larger than socket buffers, so most of it is still in flight when the answer goes.
const FIVE_MB: usize = 5 * 1024 * 1024;
/// The upload limit of the stack that refuses large bodies: small, so the 5 MB bodies are over it.
const LIMIT: u64 = 1024 * 1024;

/// A stack with an upload limit of `limit` bytes (the default of 1 GiB when `None`), behind nginx.
async fn stack_behind_nginx(limit: Option<u64>) -> (Stack, Nginx) {
    let stack = Stack::start_with(StackOptions { max_upload_bytes: limit, ..Default::default() }).await;
    let nginx =
        Nginx::start(stack.query.trim_start_matches("http://"), stack.command.trim_start_matches("http://"))
            .await;
    (stack, nginx)
}

/// A body of `FIVE_MB` bytes sent in 64 KiB chunks, without a declared length.
fn chunked_body() -> reqwest::Body {
    let chunks =
        futures::stream::iter((0..FIVE_MB / 65_536).map(|_| Ok::<_, std::io::Error>(bytes_of(65_536))));
    reqwest::Body::wrap_stream(chunks)
}

fn bytes_of(length: usize) -> Vec<u8> {
    vec![0x42; length]
}

/// Sends `TRIES` requests built by `request`, one after the other, and counts the outcomes: a status
/// with a problem body of that status is `"401"`, anything else is named for what it was.
async fn outcomes(request: impl Fn() -> reqwest::RequestBuilder) -> BTreeMap<String, usize> {
    let mut counted = BTreeMap::new();
    for _ in 0..TRIES {
        let outcome = match request().timeout(Duration::from_secs(10)).send().await {
            Ok(response) => describe(response).await,
            Err(error) => format!("error: {:?}", std::error::Error::source(&error)),
        };
        *counted.entry(outcome).or_insert(0) += 1;
    }
    counted
}

async fn describe(response: reqwest::Response) -> String {
    let status = response.status().as_u16();
    let content_type =
        response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let problem: Option<Value> = response.json().await.ok();
    let stated = problem.as_ref().and_then(|p| p["status"].as_u64());
    if content_type == "application/problem+json" && stated == Some(u64::from(status)) {
        status.to_string()
    } else {
        format!("{status} ({content_type}, {problem:?})")
    }
}

fn assert_always(counted: &BTreeMap<String, usize>, status: &str, what: &str) {
    eprintln!("{what}: {counted:?}");
    assert_eq!(
        counted,
        &BTreeMap::from([(status.to_owned(), TRIES)]),
        "{what}: every try must get {status} with a problem body"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_without_a_token_gets_401_every_time_through_nginx() {
    let (stack, nginx) = stack_behind_nginx(None).await;
    let url = format!("{}/v1/conversions?filename=a.mp4", nginx.url);
    let counted =
        outcomes(|| stack.http.post(&url).header("content-type", "video/mp4").body(bytes_of(FIVE_MB))).await;
    assert_always(&counted, "401", "no token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_that_is_not_a_video_gets_415_every_time_through_nginx() {
    let (stack, nginx) = stack_behind_nginx(None).await;
    let url = format!("{}/v1/conversions", nginx.url);
    for content_type in ["text/plain", "application/json"] {
        let counted = outcomes(|| {
            stack
                .http
                .post(&url)
                .bearer_auth(&stack.token)
                .header("content-type", content_type)
                .body(bytes_of(FIVE_MB))
        })
        .await;
        assert_always(&counted, "415", content_type);
    }
    // A multipart body whose file part is not a video is refused at that part's headers.
    let counted = outcomes(|| {
        let part = reqwest::multipart::Part::bytes(bytes_of(FIVE_MB))
            .file_name("notes.txt")
            .mime_str("text/plain")
            .unwrap();
        let form = reqwest::multipart::Form::new().part("file", part);
        stack.http.post(&url).bearer_auth(&stack.token).multipart(form)
    })
    .await;
    assert_always(&counted, "415", "a text/plain file part");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_over_the_limit_gets_413_every_time_through_nginx_declared_or_not() {
    let (stack, nginx) = stack_behind_nginx(Some(LIMIT)).await;
    let url = format!("{}/v1/conversions?filename=a.mp4", nginx.url);
    let declared = outcomes(|| {
        stack
            .http
            .post(&url)
            .bearer_auth(&stack.token)
            .header("content-type", "video/mp4")
            .body(bytes_of(FIVE_MB))
    })
    .await;
    assert_always(&declared, "413", "a declared Content-Length over the limit");
    let chunked = outcomes(|| {
        stack
            .http
            .post(&url)
            .bearer_auth(&stack.token)
            .header("content-type", "video/mp4")
            .body(chunked_body())
    })
    .await;
    assert_always(&chunked, "413", "a chunked body growing past the limit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_with_a_malformed_idempotency_key_gets_422_every_time_through_nginx() {
    let (stack, nginx) = stack_behind_nginx(None).await;
    let url = format!("{}/v1/conversions?filename=a.mp4", nginx.url);
    let counted = outcomes(|| {
        stack
            .http
            .post(&url)
            .bearer_auth(&stack.token)
            .header("idempotency-key", "k".repeat(256))
            .header("content-type", "video/mp4")
            .body(bytes_of(FIVE_MB))
    })
    .await;
    assert_always(&counted, "422", "an Idempotency-Key of 256 characters");
}
