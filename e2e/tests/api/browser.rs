//! The web app in a real browser: `web/tests/app.test.mjs` drives headless Chromium (Playwright)
//! through every flow of the pages nginx serves at `/`, against a stack of this test's own with the
//! relay, a converter, a worker and the live service. Needs `scripts/browser-tools.sh` first.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use e2e::{Nginx, Stack, StackOptions};

/// The largest upload this stack accepts, small enough for the test to provoke a 413.
const UPLOAD_LIMIT: u64 = 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_flow_of_the_web_app_works_in_a_real_browser() {
    let root = e2e::workspace_root().canonicalize().expect("the workspace root");
    let tools = root.join("var/tools/browser/node_modules/playwright-core");
    assert!(
        Path::new("/usr/bin/chromium").exists() && tools.exists(),
        "the browser test needs Chromium and playwright-core: run scripts/browser-tools.sh (as root) first"
    );
    let video = sample_video();

    let stack = Stack::start_with(StackOptions {
        conversions: true,
        max_upload_bytes: Some(UPLOAD_LIMIT),
        // The Queues page's controls are the admin scope's: the test signs `boss` up to use them.
        adjust: Some(|settings| settings.auth.admins = vec!["boss@example.com".to_owned()]),
        ..Default::default()
    })
    .await;
    let _worker = stack.start_worker(Vec::new()).await;
    let live_address = start_live(&stack).await;
    let nginx = Nginx::start_with_live(
        stack.query.trim_start_matches("http://"),
        stack.command.trim_start_matches("http://"),
        &live_address,
    )
    .await;

    let started = Instant::now();
    let run = tokio::process::Command::new("node")
        .arg(root.join("web/tests/app.test.mjs"))
        .env("REPRISE_URL", &nginx.url)
        .env("REPRISE_VIDEO", &video)
        .env("REPRISE_UPLOAD_LIMIT", UPLOAD_LIMIT.to_string())
        .env("REPRISE_BROWSER_TOOLS", root.join("var/tools/browser"))
        .env("REPRISE_SCREENSHOTS", root.join("var/screenshots"))
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(240), run)
        .await
        .expect("the browser test to finish within 4 minutes")
        .expect("node (Debian's nodejs) to run");
    println!("{}", String::from_utf8_lossy(&output.stdout));
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    println!("browser test took {:.1} s", started.elapsed().as_secs_f64());
    assert!(output.status.success(), "the browser test failed: {}", output.status);
}

/// The live service in-process, ready, at the returned `host:port`.
async fn start_live(stack: &Stack) -> String {
    let mut settings = stack.settings.clone();
    settings.live.addr = "127.0.0.1:0".into();
    let live = live::Live::build(settings).await.expect("build live");
    let address = live.address().to_string();
    // Stops with the test's runtime.
    tokio::spawn(live.run_until_stopped(tokio_util::sync::CancellationToken::new()));
    let ready = format!("http://{address}/readyz");
    testkit::wait_until("live to be ready", Duration::from_secs(20), || async {
        stack.http.get(&ready).send().await.ok().filter(|r| r.status() == 200).map(|_| ())
    })
    .await;
    address
}

/// A two-second test pattern with a tone, made by ffmpeg once per machine.
fn sample_video() -> PathBuf {
    let dir = std::env::temp_dir().join("reprise-samples");
    std::fs::create_dir_all(&dir).expect("a samples directory");
    let path = dir.join("browser-sample-2s.mp4");
    if !path.exists() {
        let partial = dir.join(format!("browser-sample-{}.mp4", uuid::Uuid::new_v4().simple()));
        let status = std::process::Command::new("ffmpeg")
            .args(["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=duration=2:size=160x120:rate=10"])
            .args(["-f", "lavfi", "-i", "sine=frequency=440:duration=2"])
            .args(["-shortest", "-c:v", "mpeg4", "-c:a", "aac"])
            .arg(&partial)
            .status()
            .expect("ffmpeg (make deps installs it)");
        assert!(status.success(), "ffmpeg made no sample video");
        std::fs::rename(&partial, &path).expect("keep the sample video");
    }
    path
}
