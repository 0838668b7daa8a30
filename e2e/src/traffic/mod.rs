//! Traffic like real clients through a fleet's nginx — every kind of write — that remembers what was
//! accepted, and ([`check`]) the check afterwards that each accepted write is reflected exactly once.

mod check;

pub use check::{Reflected, check, table};

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::Fleet;

/// What the traffic was answered: the ids of accepted writes, and how often each other status came.
#[derive(Debug, Default)]
pub struct Accepted {
    /// Score submissions: (job id, player); every player posts once.
    pub scores: Vec<(String, String)>,
    /// `message` jobs.
    pub jobs: Vec<String>,
    /// New users.
    pub users: Vec<String>,
    /// Sessions from signing in again: tokens.
    pub sessions: Vec<String>,
    /// Meetup events.
    pub meetups: Vec<String>,
    /// Chat messages in the traffic's channel.
    pub messages: Vec<String>,
    /// Conversions (equal to their job ids).
    pub conversions: Vec<String>,
    /// Answers that were not the success a write expects, by status (0: no answer at all).
    pub refused: BTreeMap<u16, u32>,
}

impl Accepted {
    /// How many writes were accepted.
    pub fn total(&self) -> usize {
        self.scores.len()
            + self.jobs.len()
            + self.users.len()
            + self.sessions.len()
            + self.meetups.len()
            + self.messages.len()
            + self.conversions.len()
    }
}

/// A client of one user, writing through nginx.
pub struct Traffic<'a> {
    fleet: &'a Fleet,
    http: reqwest::Client,
    token: String,
    channel: String,
    video: Vec<u8>,
    accepted: Mutex<Accepted>,
}

impl<'a> Traffic<'a> {
    /// Signs a user up and opens the channel the messages go to.
    pub async fn new(fleet: &'a Fleet) -> Self {
        let token = fleet.sign_up("driver").await;
        let http = fleet.http();
        let channel = fleet.post(&token, "/v1/channels", json!({ "name": "traffic" })).await;
        let channel = channel["id"].as_str().expect("a channel id").to_owned();
        let video = std::fs::read(sample_video()).expect("the sample video");
        Self { fleet, http, token, channel, video, accepted: Mutex::default() }
    }

    /// The driving user's token.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The channel the messages go to.
    pub fn channel(&self) -> &str {
        &self.channel
    }

    /// Writes until `stop`: scores and jobs every 50 ms, messages every 150 ms, a sign-up with a
    /// sign-in and a meetup every 400 ms, a conversion every 1.5 s.
    pub async fn drive(self, stop: &CancellationToken) -> (Self, Accepted) {
        let every = |period: u64, write: &'static str| {
            let this = &self;
            async move {
                for n in 0.. {
                    if stop.is_cancelled() {
                        break;
                    }
                    this.write(write, n).await;
                    tokio::time::sleep(Duration::from_millis(period)).await;
                }
            }
        };
        tokio::join!(
            every(50, "score"),
            every(50, "job"),
            every(150, "message"),
            every(400, "user"),
            every(400, "meetup"),
            every(1_500, "conversion"),
        );
        let accepted = std::mem::take(&mut *self.accepted.lock().expect("not poisoned"));
        (self, accepted)
    }

    async fn write(&self, kind: &str, n: u64) {
        let url = self.fleet.url.clone();
        let post = |path: &str| self.http.post(format!("{url}{path}")).bearer_auth(&self.token);
        let (request, expected) = match kind {
            "score" => (
                post("/v1/scores").json(&json!({ "game": "chaos", "player": format!("p{n}"), "score": n })),
                202,
            ),
            "job" => (post("/v1/jobs").json(&json!({ "message": format!("m{n}") })), 202),
            "message" => (
                post(&format!("/v1/channels/{}", self.channel)).json(&json!({ "body": format!("b{n}") })),
                201,
            ),
            "user" => (self.http.post(format!("{url}/v1/users")).json(&sign_up(n)), 201),
            "meetup" => (post("/v1/events").json(&meetup(n)), 201),
            _ => (
                post("/v1/conversions?filename=clip.mp4")
                    .header("content-type", "video/mp4")
                    .body(self.video.clone()),
                202,
            ),
        };
        let Some(body) = self.answer(request, expected).await else { return };
        let id = |field: &str| body[field].as_str().unwrap_or_default().to_owned();
        match kind {
            "score" => self.record(|a| a.scores.push((id("jobId"), format!("p{n}")))),
            "job" => self.record(|a| a.jobs.push(id("jobId"))),
            "message" => self.record(|a| a.messages.push(id("id"))),
            "meetup" => self.record(|a| a.meetups.push(id("id"))),
            "conversion" => self.record(|a| a.conversions.push(id("conversionId"))),
            _ => {
                let token = self.sign_in(n).await;
                self.record(|a| {
                    a.users.push(id("id"));
                    a.sessions.extend(token);
                });
            }
        }
    }

    async fn sign_in(&self, n: u64) -> Option<String> {
        let credentials = json!({ "email": format!("u{n}@example.com"), "password": "correct horse" });
        let request = self.http.post(format!("{}/v1/sessions", self.fleet.url)).json(&credentials);
        let session = self.answer(request, 201).await?;
        session["token"].as_str().map(str::to_owned)
    }

    async fn answer(&self, request: reqwest::RequestBuilder, expected: u16) -> Option<Value> {
        let status = match request.send().await {
            Ok(response) if response.status().as_u16() == expected => {
                return Some(response.json().await.unwrap_or_default());
            }
            Ok(response) => response.status().as_u16(),
            Err(_) => 0,
        };
        self.record(|a| *a.refused.entry(status).or_default() += 1);
        None
    }

    fn record(&self, change: impl FnOnce(&mut Accepted)) {
        change(&mut self.accepted.lock().expect("not poisoned"));
    }
}

fn sign_up(n: u64) -> Value {
    crate::stack::sign_up_body(&format!("u{n}"))
}

fn meetup(n: u64) -> Value {
    json!({
        "title": format!("jam {n}"),
        "dateTime": "2027-01-15T19:00:00Z",
        "location": "the cellar",
        "description": "bring a synth",
    })
}

/// A one-second video with sound, made by ffmpeg's test sources, in a file of its own.
pub fn sample_video() -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("reprise-traffic-{}.mp4", uuid::Uuid::new_v4().simple()));
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
