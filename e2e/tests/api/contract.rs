//! The OpenAPI document is the exact contract: schemathesis generates requests from it (valid ones and
//! invalid ones), sends them through nginx to a stack of this test's own, and checks every answer
//! against the document — status codes, content types, headers and bodies — and that the server
//! refuses what the document forbids and accepts what it allows.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use e2e::{Nginx, Stack, StackOptions};
use tokio_util::sync::{CancellationToken, DropGuard};

/// Where `scripts/contract-tools.sh` installs schemathesis.
fn schemathesis() -> PathBuf {
    e2e::workspace_root().join("var/tools/venv/bin/schemathesis")
}

/// The settings of the run (the checks that do not apply to one operation, each with its reason),
/// beside this file, as are its hooks (`contract_hooks.py`).
fn config_file() -> PathBuf {
    e2e::workspace_root().join("e2e/tests/api/schemathesis.toml")
}

/// The whole run's deadline: well under the test runner's limit on this busy 2-core machine.
const RUN_SECONDS: u64 = 200;

#[tokio::test]
async fn schemathesis_finds_no_answer_that_differs_from_the_openapi_document() {
    let tool = schemathesis();
    assert!(tool.exists(), "{} is missing: run scripts/contract-tools.sh to install it", tool.display());
    // The services' errors go to this test's output, shown when it fails: a 5xx that schemathesis
    // reports is then found with its cause.
    let _ = tracing_subscriber::fmt().with_env_filter("error").with_test_writer().try_init();
    let stack = Stack::start_with(StackOptions {
        // Fuzzing signs in with wrong passwords and posts many messages in a minute: the limits are
        // for people, not for a run of generated requests. The run's user has the `admin` scope, so
        // the queue controls are exercised beyond their 403.
        adjust: Some(|settings| {
            settings.auth.sign_in_failures_per_minute = 1_000_000;
            settings.meetups.messages_per_minute = 1_000_000;
            settings.auth.admins = vec!["tester@example.com".to_owned()];
        }),
        ..StackOptions::default()
    })
    .await;
    let (live, _live_stops) = start_live(&stack).await;
    let nginx = Nginx::start_with_live(
        stack.query.trim_start_matches("http://"),
        stack.command.trim_start_matches("http://"),
        &live,
    )
    .await;
    // Signing out revokes the token it is sent with: that operation gets a session of its own, so
    // the rest of the run keeps a valid one.
    let sign_out_token = second_session(&stack).await;
    let work = tempfile::tempdir().expect("a working directory for schemathesis");
    // Every check runs (`[checks] enabled = true` in the config file: `--checks all` on the command
    // line would also override the config's few exceptions), with a fixed seed and a bounded number
    // of examples per operation, against nothing but this stack.
    let mut command = tokio::process::Command::new(&tool);
    command
        .current_dir(work.path())
        .env("REPRISE_SIGN_OUT_TOKEN", &sign_out_token)
        .env("SCHEMATHESIS_HOOKS", e2e::workspace_root().join("e2e/tests/api/contract_hooks.py"))
        .arg("--config-file")
        .arg(config_file())
        .args(["run", &format!("{}/openapi.json", nginx.url)])
        .args(["--url", &nginx.url])
        .args(["-H", &format!("Authorization: Bearer {}", stack.token)])
        .args(["--seed", &seed(), "--max-examples", "25", "--request-timeout", "20"])
        .args(["--workers", "2", "--generation-database", "none", "--no-color"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let run = command.spawn().expect("start schemathesis");
    let output = tokio::time::timeout(Duration::from_secs(RUN_SECONDS), run.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("schemathesis did not finish within {RUN_SECONDS} s"))
        .expect("run schemathesis");
    let printed =
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "schemathesis found differences ({}):\n{printed}", output.status);
}

/// The run's seed: 17, or `REPRISE_CONTRACT_SEED` to explore other examples by hand (a knob of
/// this test, not of Reprise, so not a setting).
#[allow(clippy::disallowed_methods)]
fn seed() -> String {
    std::env::var("REPRISE_CONTRACT_SEED").unwrap_or_else(|_| "17".to_owned())
}

/// A second session of the stack's user (`tester`, signed up by the stack).
async fn second_session(stack: &Stack) -> String {
    let credentials = serde_json::json!({ "email": "tester@example.com", "password": "correct horse" });
    let response =
        stack.http.post(format!("{}/v1/sessions", stack.command)).json(&credentials).send().await.unwrap();
    assert_eq!(response.status(), 201, "sign-in failed");
    let session: serde_json::Value = response.json().await.unwrap();
    session["token"].as_str().expect("token").to_owned()
}

/// The live service (`GET /v1/ws`) on a free port: its address, and a guard that stops it.
async fn start_live(stack: &Stack) -> (String, DropGuard) {
    let mut settings = stack.settings.clone();
    settings.live.addr = "127.0.0.1:0".into();
    let live = live::Live::build(settings).await.expect("build live");
    let address = live.address().to_string();
    let stop = CancellationToken::new();
    tokio::spawn(live.run_until_stopped(stop.clone()));
    let ready = format!("http://{address}/readyz");
    testkit::wait_until("live to be ready", Duration::from_secs(20), || async {
        stack.http.get(&ready).send().await.ok().filter(|r| r.status() == 200).map(|_| ())
    })
    .await;
    (address, stop.drop_guard())
}
