//! Job dependencies (`dependsOn`): a job waits until the jobs it names have succeeded, and is
//! cancelled when one of them fails or is cancelled; a batch chains a flow by place (`"$N"`).

use std::time::Duration;

use e2e::Stack;
use fred::prelude::*;
use serde_json::{Value, json};

async fn post_job(stack: &Stack, body: Value) -> (u16, Value) {
    let response = stack.post("/v1/jobs", body).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// Queues a job, asserting the 202, and returns its id and the status the 202 gave.
async fn queue(stack: &Stack, body: Value) -> (String, String) {
    let (status, accepted) = post_job(stack, body).await;
    assert_eq!(status, 202, "{accepted}");
    (accepted["jobId"].as_str().unwrap().to_owned(), accepted["status"].as_str().unwrap().to_owned())
}

async fn job(stack: &Stack, id: &str) -> Value {
    stack.get(&format!("/v1/jobs/{id}")).await.json().await.unwrap()
}

/// Waits until job `id`'s document shows `status`, and returns it.
async fn wait_for_status(stack: &Stack, id: &str, status: &str) -> Value {
    testkit::wait_until(&format!("job {id} to be {status}"), Duration::from_secs(20), || async {
        let job = job(stack, id).await;
        (job["status"] == status).then_some(job)
    })
    .await
}

/// The fields a 422 names, sorted.
async fn fields_of(response: reqwest::Response) -> Vec<String> {
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    let mut fields: Vec<String> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["field"].as_str().unwrap().to_owned())
        .collect();
    fields.sort();
    fields
}

#[tokio::test]
async fn a_job_waits_for_its_dependency_and_runs_once_it_succeeded() {
    let stack = Stack::start().await;
    let (first, _) = queue(&stack, json!({ "message": "export" })).await;
    let (then, status) = queue(&stack, json!({ "message": "mail the export", "dependsOn": [first] })).await;
    assert_eq!(status, "waiting");
    let waiting = wait_for_status(&stack, &then, "waiting").await;
    assert_eq!(waiting["dependsOn"], json!([first]));
    let listed = testkit::wait_until("the waiting job listed", Duration::from_secs(10), || async {
        let listed: Value = stack.get("/v1/jobs?status=waiting").await.json().await.ok()?;
        (!listed["items"].as_array()?.is_empty()).then_some(listed)
    })
    .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert_eq!(listed["items"][0]["id"], then);
    // The projector queued the first job only.
    testkit::wait_until("the first job in the queue", Duration::from_secs(10), || async {
        let depth: i64 = stack.redis.zcard(stack.keys().ready_queue("message")).await.ok()?;
        (depth == 1).then_some(())
    })
    .await;

    let _worker = stack.start_worker(vec![]).await;
    let done = stack.finished(&then).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let first_done = job(&stack, &first).await;
    assert!(
        done["startedAt"].as_str() >= first_done["finishedAt"].as_str(),
        "{done} ran before {first_done}"
    );
}

#[tokio::test]
async fn a_failed_dependency_cancels_the_jobs_waiting_for_it_with_an_error_naming_it() {
    let stack = Stack::start().await;
    let _worker = stack.start_worker(vec![]).await;
    // Nothing listens on port 1, and one attempt is all it gets.
    let failing = json!({ "message": "call", "kind": "webhook", "maxAttempts": 1,
        "payload": { "url": "http://127.0.0.1:1/hook" } });
    let (first, _) = queue(&stack, failing).await;
    let (second, _) = queue(&stack, json!({ "message": "after the call", "dependsOn": [first] })).await;
    let (third, _) = queue(&stack, json!({ "message": "after that", "dependsOn": [second] })).await;
    assert_eq!(stack.finished(&first).await["status"], "failed");
    let cancelled = stack.finished(&second).await;
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
    assert_eq!(cancelled["error"]["message"], format!("its dependency {first} failed"));
    assert_eq!(cancelled["attempts"], 0);
    let cascaded = stack.finished(&third).await;
    assert_eq!(cascaded["error"]["message"], format!("its dependency {second} was cancelled"));
}

#[tokio::test]
async fn cancelling_a_dependency_cancels_the_jobs_waiting_for_it() {
    let stack = Stack::start().await;
    // The dependency follower runs in the workers.
    let _worker = stack.start_worker(vec![]).await;
    let (later, _) = queue(&stack, json!({ "message": "one day", "runAt": "2099-01-01T00:00:00Z" })).await;
    let (waiting, _) = queue(&stack, json!({ "message": "after that day", "dependsOn": [later] })).await;
    let cancel = stack.http.delete(format!("{}/v1/jobs/{later}", stack.command)).bearer_auth(&stack.token);
    assert_eq!(cancel.send().await.unwrap().status(), 202);
    let cancelled = stack.finished(&waiting).await;
    assert_eq!(cancelled["error"]["message"], format!("its dependency {later} was cancelled"));
}

#[tokio::test]
async fn a_waiting_job_can_be_cancelled_by_its_owner() {
    let stack = Stack::start().await;
    let (later, _) = queue(&stack, json!({ "message": "one day", "runAt": "2099-01-01T00:00:00Z" })).await;
    let (waiting, _) = queue(&stack, json!({ "message": "after that day", "dependsOn": [later] })).await;
    let cancel = stack.http.delete(format!("{}/v1/jobs/{waiting}", stack.command)).bearer_auth(&stack.token);
    assert_eq!(cancel.send().await.unwrap().status(), 202);
    let cancelled = stack.finished(&waiting).await;
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled.get("error"), None, "the owner cancelled it: no error");
}

#[tokio::test]
async fn a_job_depending_on_jobs_that_already_succeeded_runs_at_once() {
    let stack = Stack::start().await;
    let _worker = stack.start_worker(vec![]).await;
    let (first, _) = queue(&stack, json!({ "message": "one" })).await;
    let (second, _) = queue(&stack, json!({ "message": "two" })).await;
    assert_eq!(stack.finished(&first).await["status"], "succeeded");
    assert_eq!(stack.finished(&second).await["status"], "succeeded");
    let (after, status) = queue(&stack, json!({ "message": "three", "dependsOn": [first, second] })).await;
    assert_eq!(status, "waiting");
    assert_eq!(stack.finished(&after).await["status"], "succeeded");
}

#[tokio::test]
async fn a_batch_chains_a_flow_by_place_and_each_job_runs_after_the_ones_it_names() {
    let stack = Stack::start().await;
    let _worker = stack.start_worker(vec![]).await;
    let flow = json!({ "jobs": [
        { "message": "fetch" },
        { "message": "resize", "dependsOn": ["$0"] },
        { "message": "thumbnail", "dependsOn": ["$0"] },
        { "message": "publish", "dependsOn": ["$1", "$2"] },
    ] });
    let response = stack.post("/v1/jobs/batch", flow).await;
    assert_eq!(response.status(), 202);
    let accepted: Value = response.json().await.unwrap();
    let statuses: Vec<&str> =
        accepted["items"].as_array().unwrap().iter().map(|item| item["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["queued", "waiting", "waiting", "waiting"]);
    let ids: Vec<String> = accepted["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["jobId"].as_str().unwrap().to_owned())
        .collect();
    let mut done = Vec::new();
    for id in &ids {
        let job = stack.finished(id).await;
        assert_eq!(job["status"], "succeeded", "{job}");
        done.push(job);
    }
    assert_eq!(done[3]["dependsOn"], json!([ids[1], ids[2]]));
    let started = |n: usize| done[n]["startedAt"].as_str().unwrap().to_owned();
    let finished = |n: usize| done[n]["finishedAt"].as_str().unwrap().to_owned();
    assert!(started(1) >= finished(0) && started(2) >= finished(0));
    assert!(started(3) >= finished(1) && started(3) >= finished(2));
}

#[tokio::test]
async fn jobs_of_a_batch_naming_each_other_in_a_cycle_or_themselves_are_a_422_and_nothing_is_queued() {
    let stack = Stack::start().await;
    let body = json!({ "jobs": [
        { "message": "a", "dependsOn": ["$1"] },
        { "message": "b", "dependsOn": ["$0"] },
        { "message": "c", "dependsOn": ["$2"] },
        { "message": "d", "dependsOn": ["$0"] },
        { "message": "e", "dependsOn": ["$9"] },
    ] });
    let fields = fields_of(stack.post("/v1/jobs/batch", body).await).await;
    assert_eq!(fields, ["jobs[0].dependsOn", "jobs[1].dependsOn", "jobs[2].dependsOn", "jobs[4].dependsOn"]);
    let listed: Value = stack.get("/v1/jobs").await.json().await.unwrap();
    assert_eq!(listed["items"], json!([]));
}

#[tokio::test]
async fn someone_elses_job_an_unknown_id_a_place_outside_a_batch_or_over_100_are_a_422_naming_depends_on() {
    let stack = Stack::start().await;
    let other = stack.sign_up("other").await;
    let response = stack
        .http
        .post(format!("{}/v1/jobs", stack.command))
        .bearer_auth(&other)
        .json(&json!({ "message": "theirs" }))
        .send()
        .await
        .unwrap();
    let theirs: Value = response.json().await.unwrap();
    let unknown = uuid::Uuid::now_v7().to_string();
    let too_many: Vec<String> = (0..101).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    for depends_on in
        [json!([theirs["jobId"]]), json!([unknown]), json!(["$0"]), json!(["soon"]), json!(too_many)]
    {
        let response = stack.post("/v1/jobs", json!({ "message": "m", "dependsOn": depends_on })).await;
        assert_eq!(fields_of(response).await, ["dependsOn"], "{depends_on}");
    }
    let in_batch = json!({ "jobs": [{ "message": "m" }, { "message": "m", "dependsOn": [unknown] }] });
    assert_eq!(fields_of(stack.post("/v1/jobs/batch", in_batch).await).await, ["jobs[1].dependsOn"]);
}
