//! The check after the traffic: each accepted write, read where a client reads it (and its effects in
//! the log and the mailbox), is reflected exactly once.

use std::collections::HashMap;
use std::time::Duration;

use futures::StreamExt;
use serde_json::Value;

use super::{Accepted, Traffic};
use crate::Fleet;

/// One row of the check: how many writes of a kind were accepted, reflected once, lost, duplicated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reflected {
    /// The kind of write.
    pub kind: &'static str,
    /// Accepted (2xx).
    pub accepted: usize,
    /// Found exactly once where a client reads it.
    pub once: usize,
    /// Not found.
    pub lost: usize,
    /// Found (or carried out) more than once.
    pub duplicated: usize,
}

impl Reflected {
    fn of(kind: &'static str, counts: impl IntoIterator<Item = usize>) -> Self {
        let mut row = Self { kind, ..Self::default() };
        for count in counts {
            row.accepted += 1;
            match count {
                0 => row.lost += 1,
                1 => row.once += 1,
                _ => row.duplicated += 1,
            }
        }
        row
    }
}

/// Checks every accepted write through nginx (and effects in the log and the mailbox), once the
/// fleet has settled; one row per kind of write.
pub async fn check(traffic: &Traffic<'_>, accepted: &Accepted) -> Vec<Reflected> {
    let fleet = traffic.fleet;
    let pool = sqlx::PgPool::connect(&fleet.database.url()).await.expect("connect to the fleet's database");
    let successes = successes_of(&pool, &accepted.jobs).await;
    let jobs = accepted.jobs.iter().map(|job| successes.get(job).copied().unwrap_or(0));
    let mut rows = vec![Reflected::of("job (ran to success)", jobs.collect::<Vec<_>>())];

    let finals =
        futures::stream::iter(accepted.scores.iter().map(|(job, _)| job).chain(&accepted.conversions))
            .map(|job| final_status(traffic, job))
            .buffer_unordered(16)
            .collect::<Vec<_>>()
            .await;
    assert!(finals.iter().all(|s| s == "succeeded"), "every accepted score and conversion job succeeded");
    let on_board = futures::stream::iter(&accepted.scores)
        .map(|(_, player)| {
            let url = format!("{}/v1/leaderboards/chaos/players/{player}", fleet.url);
            let request = traffic.http.get(url);
            async move { usize::from(request.send().await.is_ok_and(|r| r.status() == 200)) }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    rows.push(Reflected::of("score (on its board)", on_board));

    let users = futures::stream::iter(&accepted.users)
        .map(|id| status_is_200(traffic, format!("/v1/users/{id}"), traffic.token.clone()))
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    rows.push(Reflected::of("sign-up (user readable)", users));
    let sessions = futures::stream::iter(&accepted.sessions)
        .map(|token| status_is_200(traffic, "/v1/users/me".to_owned(), token.clone()))
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    rows.push(Reflected::of("sign-in (token accepted)", sessions));

    let meetups = listed(traffic, "/v1/events?limit=100").await;
    rows.push(Reflected::of("meetup (listed)", accepted.meetups.iter().map(|id| count(&meetups, id))));
    let messages = channel_messages(traffic).await;
    rows.push(Reflected::of(
        "message (in its channel)",
        accepted.messages.iter().map(|id| count(&messages, id)),
    ));

    let converted = count_by_aggregate(&pool, "ConversionSucceeded").await;
    let conversions = accepted.conversions.iter().map(|id| converted.get(id).copied().unwrap_or(0));
    rows.push(Reflected::of("conversion (converted)", conversions.collect::<Vec<_>>()));
    let mails = mails_by_conversion(fleet, &accepted.conversions).await;
    rows.push(Reflected::of("e-mail (distinct Message-IDs)", mails));
    rows
}

fn count(ids: &[String], id: &str) -> usize {
    ids.iter().filter(|listed| *listed == id).count()
}

/// How many times each worker job succeeded, once all of `jobs` have (or after a minute): a job accepted
/// as the traffic stopped still has its run ahead of it when the check starts.
async fn successes_of(pool: &sqlx::PgPool, jobs: &[String]) -> HashMap<String, usize> {
    let mut successes = count_by_aggregate(pool, "JobSucceeded").await;
    for _ in 0..120 {
        if jobs.iter().all(|job| successes.contains_key(job)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        successes = count_by_aggregate(pool, "JobSucceeded").await;
    }
    successes
}

async fn count_by_aggregate(pool: &sqlx::PgPool, event_type: &str) -> HashMap<String, usize> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT aggregate_id, count(*) FROM events WHERE event_type = $1 GROUP BY aggregate_id",
    )
    .bind(event_type)
    .fetch_all(pool)
    .await
    .expect("count events");
    rows.into_iter().map(|(id, n)| (id, n as usize)).collect()
}

async fn status_is_200(traffic: &Traffic<'_>, path: String, token: String) -> usize {
    let request = traffic.http.get(format!("{}{path}", traffic.fleet.url)).bearer_auth(token);
    usize::from(request.send().await.is_ok_and(|r| r.status() == 200))
}

/// The final status of job `id`, waiting (long polls, bounded) for it to be final.
async fn final_status(traffic: &Traffic<'_>, id: &str) -> String {
    for _ in 0..12 {
        let request = traffic.http.get(format!("{}/v1/jobs/{id}", traffic.fleet.url));
        let Ok(response) = request.bearer_auth(&traffic.token).header("Prefer", "wait=5").send().await else {
            continue;
        };
        let job: Value = response.json().await.unwrap_or_default();
        let status = job["status"].as_str().unwrap_or_default().to_owned();
        if matches!(status.as_str(), "succeeded" | "failed" | "cancelled") {
            return status;
        }
    }
    format!("{id} not final after a minute")
}

/// Every id of a cursor-paged list.
async fn listed(traffic: &Traffic<'_>, path: &str) -> Vec<String> {
    let mut ids = vec![];
    let mut cursor: Option<String> = None;
    for _ in 0..1_000 {
        let url = match &cursor {
            Some(cursor) => format!("{}{path}&cursor={cursor}", traffic.fleet.url),
            None => format!("{}{path}", traffic.fleet.url),
        };
        let page: Value = traffic.http.get(url).send().await.expect("a page").json().await.expect("a list");
        ids.extend(
            page["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|i| i["id"].as_str())
                .map(str::to_owned),
        );
        cursor = page["nextCursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            break;
        }
    }
    ids
}

/// Every message id of the traffic's channel, following `before` back to the first.
async fn channel_messages(traffic: &Traffic<'_>) -> Vec<String> {
    let mut ids: Vec<String> = vec![];
    for _ in 0..1_000 {
        let before = ids.last().map(|id| format!("?before={id}")).unwrap_or_default();
        let url = format!("{}/v1/channels/{}{before}", traffic.fleet.url, traffic.channel);
        let request = traffic.http.get(url).bearer_auth(&traffic.token);
        let page: Value = request.send().await.expect("a page").json().await.expect("messages");
        let items = page["items"].as_array().cloned().unwrap_or_default();
        if items.is_empty() {
            break;
        }
        ids.extend(items.iter().filter_map(|m| m["id"].as_str()).map(str::to_owned));
    }
    ids
}

/// For each conversion, how many distinct `Message-ID`s its e-mails carry (waiting up to 30 s for the
/// first). A notifier killed between the mail server's answer and its ledger sends again with the
/// same Message-ID, by which mail systems drop the copy: that is one e-mail, not two.
async fn mails_by_conversion(fleet: &Fleet, conversions: &[String]) -> Vec<usize> {
    let mut counts = vec![];
    for conversion in conversions {
        let ids = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                let ids: std::collections::BTreeSet<String> = fleet
                    .smtp
                    .messages()
                    .iter()
                    .filter(|m| testkit::smtp::body(m).contains(conversion.as_str()))
                    .filter_map(|m| testkit::smtp::header(m, "Message-ID"))
                    .collect();
                if !ids.is_empty() {
                    return ids.len();
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
        .await;
        counts.push(ids.unwrap_or(0));
    }
    counts
}

/// The rows as a Markdown table.
pub fn table(rows: &[Reflected]) -> String {
    let mut table =
        String::from("| write | accepted | reflected once | lost | duplicated |\n|---|---|---|---|---|\n");
    for row in rows {
        table.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            row.kind, row.accepted, row.once, row.lost, row.duplicated
        ));
    }
    table
}
