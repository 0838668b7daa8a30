//! No secret reaches a log: a fleet of the real binaries (as `make up` runs them, logging JSON at
//! DEBUG into files) goes through sign-up, sign-in, a refused sign-in, jobs with webhooks, a
//! conversion, a WebSocket opened with `?auth=` and a sign-out, all through nginx; then no log —
//! any service's, supervisord's or nginx's access and error logs — holds the JWT secret, the webhook
//! key derived from it, the RabbitMQ password, a password that was sent, or a token that was issued.

use std::time::Duration;

use e2e::{Fleet, FleetOptions};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_log_holds_the_jwt_secret_a_password_or_a_bearer_token() {
    let env = vec![("RUST_LOG".to_owned(), "debug".to_owned())];
    let fleet = Fleet::start(FleetOptions { env, ..FleetOptions::default() }).await;
    let http = fleet.http();
    let url = |path: &str| format!("{}{path}", fleet.url);
    let password = format!("pw-{}", uuid::Uuid::new_v4().simple());
    let wrong_password = format!("wrong-{}", uuid::Uuid::new_v4().simple());
    let mistyped_confirmation = format!("typo-{}", uuid::Uuid::new_v4().simple());

    // Sign-up (one refused: the confirmation differs), sign-in, and a sign-in with a wrong password.
    let mismatch = json!({ "email": "ada@example.com", "password": password, "passwordConf": mistyped_confirmation, "userName": "ada" });
    assert_eq!(http.post(url("/v1/users")).json(&mismatch).send().await.unwrap().status(), 422);
    let sign_up = json!({ "email": "ada@example.com", "password": password, "passwordConf": password, "userName": "ada" });
    let signed_up = http.post(url("/v1/users")).json(&sign_up).send().await.unwrap();
    assert_eq!(signed_up.status(), 201);
    let sign_up_token =
        signed_up.headers()["authorization"].to_str().unwrap().trim_start_matches("Bearer ").to_owned();
    let credentials = json!({ "email": "ada@example.com", "password": password });
    let session: Value =
        http.post(url("/v1/sessions")).json(&credentials).send().await.unwrap().json().await.unwrap();
    let token = session["token"].as_str().expect("a session token").to_owned();
    let wrong = json!({ "email": "ada@example.com", "password": wrong_password });
    assert_eq!(http.post(url("/v1/sessions")).json(&wrong).send().await.unwrap().status(), 401);

    // A webhook job (signed with the key derived from the JWT secret), a message job, a conversion.
    let (hook, signatures) = webhook_receiver().await;
    let webhook = json!({ "message": "call me", "kind": "webhook", "payload": { "url": hook, "n": 1 } });
    let jobs = [webhook, json!({ "message": "hello" })];
    for job in jobs {
        let accepted: Value = http
            .post(url("/v1/jobs"))
            .bearer_auth(&token)
            .json(&job)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = accepted["jobId"].as_str().expect("a job id");
        assert_eq!(finished(&fleet, &token, id).await["status"], "succeeded", "{job}");
    }
    assert_eq!(signatures.lock().unwrap().len(), 1, "the webhook was called");
    let video_path = e2e::traffic::sample_video();
    let video = std::fs::read(&video_path).unwrap();
    let _ = std::fs::remove_file(video_path);
    let upload = http
        .post(url("/v1/conversions?filename=clip.mp4"))
        .bearer_auth(&token)
        .header("content-type", "video/mp4")
        .body(video)
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 202);
    let conversion: Value = upload.json().await.unwrap();
    let conversion_id = conversion["conversionId"].as_str().expect("a conversion id").to_owned();
    assert_eq!(finished(&fleet, &token, &conversion_id).await["status"], "succeeded");
    fleet.smtp.wait_for_mail(Duration::from_secs(20)).await;

    // A socket opened as a browser does, with the token in the URL, through nginx.
    let socket_url = format!("{}/v1/ws?auth={token}", fleet.url.replace("http://", "ws://"));
    let (mut socket, _) = tokio_tungstenite::connect_async(socket_url).await.expect("a socket through nginx");
    socket.close(None).await.unwrap();

    // Sign out, and use the revoked token once more.
    let signed_out = http.delete(url("/v1/sessions/mine")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(signed_out.status(), 200);
    let refused = http.get(url("/v1/users/me")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(refused.status(), 401);

    // nginx writes its access log out at least once a second.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let mut logs: Vec<(String, String)> =
        fleet.programs().into_iter().map(|program| (program.clone(), fleet.log(&program))).collect();
    // supervisord's own, nginx's stdout and start-up logs; and nginx's access and error logs, which
    // it writes into the run directory, beside the log directory.
    for name in ["supervisord", "nginx", "nginx-startup", "../nginx-access", "../nginx-error"] {
        logs.push((name.to_owned(), fleet.log(name)));
    }

    // The logs are there and say what happened, so finding nothing in them means something.
    let log = |name: &str| logs.iter().find(|(n, _)| n == name).map(|(_, text)| text.as_str()).unwrap();
    assert!(log("command-api-1").contains("/v1/sessions"), "command-api logged the sign-ins");
    assert!(log("command-api-1").contains("DEBUG"), "the services log at DEBUG");
    let hook_address = hook.trim_start_matches("http://").trim_end_matches("/hook");
    assert!(log("worker-1").contains(hook_address), "the worker logged its call of the webhook");
    assert!(log("converter-1").contains(&conversion_id) && log("notifier-1").contains(&conversion_id));
    assert!(
        log("../nginx-access").contains("/v1/ws?auth=REDACTED "),
        "the socket's request, without its token"
    );

    let jwt_secret = fleet.settings.auth.jwt_secret.as_ref().unwrap().expose_secret().to_owned();
    let webhook_key = job_kinds::webhook::signature(jwt_secret.as_bytes(), b"reprise webhook signing key");
    let rabbitmq_url = fleet.settings.rabbitmq.url.expose_secret().to_owned();
    let rabbitmq_password = rabbitmq_url
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('@'))
        .map(|(user, _)| user.to_owned());
    let mut secrets = vec![
        ("the JWT secret", jwt_secret),
        ("the webhook signing key", webhook_key),
        ("the password", password),
        ("a wrong password", wrong_password),
        ("a mistyped confirmation", mistyped_confirmation),
    ];
    secrets.extend(rabbitmq_password.map(|credentials| ("RabbitMQ's credentials", credentials)));
    for (what, issued) in [("the sign-up's token", &sign_up_token), ("the sign-in's token", &token)] {
        secrets.push((what, issued.clone()));
        // A token's signature alone is as good as a copy of it for whoever holds the rest.
        secrets.push((what, issued.rsplit('.').next().unwrap().to_owned()));
    }
    let mut leaks = vec![];
    for (name, text) in &logs {
        for (what, secret) in &secrets {
            assert!(secret.len() >= 8, "{what} is long enough not to turn up by chance");
            if let Some(line) = text.lines().find(|line| line.contains(secret.as_str())) {
                leaks.push(format!("{what} in {name}.log: {line}"));
            }
        }
    }
    assert!(leaks.is_empty(), "secrets in the logs:\n{}", leaks.join("\n"));
}

/// Waits (long polls, bounded) until job `id` is final.
async fn finished(fleet: &Fleet, token: &str, id: &str) -> Value {
    for _ in 0..12 {
        let job: Value = fleet
            .http()
            .get(format!("{}/v1/jobs/{id}", fleet.url))
            .bearer_auth(token)
            .header("Prefer", "wait=5")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if matches!(job["status"].as_str(), Some("succeeded" | "failed" | "cancelled")) {
            return job;
        }
    }
    panic!("job {id} did not finish within a minute");
}

type Signatures = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

/// A webhook target on loopback that keeps the signature of each call.
async fn webhook_receiver() -> (String, Signatures) {
    let signatures = Signatures::default();
    let kept = signatures.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap| {
            let kept = kept.clone();
            async move {
                let signature = headers.get("x-reprise-signature").and_then(|v| v.to_str().ok());
                kept.lock().unwrap().push(signature.unwrap_or_default().to_owned());
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, signatures)
}
