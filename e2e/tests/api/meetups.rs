//! Meetups, channels and messages through command-api and query-api.

use e2e::Stack;
use futures::future::join_all;
use reqwest::{Method, Response};
use serde_json::{Value, json};

async fn call(
    stack: &Stack,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Response {
    let base = if method == Method::GET { &stack.query } else { &stack.command };
    let mut request = stack.http.request(method, format!("{base}{path}"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("request")
}

async fn expect(response: Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    assert_eq!(actual, status, "{text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

fn meetup(title: &str) -> Value {
    json!({ "title": title, "dateTime": "2026-12-01T19:00:00Z", "location": "The cellar", "description": "bring a synth" })
}

fn ids(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|item| item["id"].as_str().unwrap().to_owned()).collect()
}

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"].as_array().map_or(vec![], |errors| {
        errors.iter().map(|e| e["field"].as_str().unwrap_or_default().to_owned()).collect()
    })
}

#[tokio::test]
async fn a_meetup_is_listed_for_everyone_and_joining_counts_each_member_once() {
    let stack = Stack::start().await;
    let ada = &stack.token;
    let created =
        expect(call(&stack, Method::POST, "/v1/events", Some(ada), Some(meetup("Jam night"))).await, 201)
            .await;
    assert_eq!(created["title"], "Jam night");
    assert_eq!(created["dateTime"], "2026-12-01T19:00:00Z");
    assert_eq!(created["location"], "The cellar");
    assert_eq!(created["description"], "bring a synth");
    assert_eq!(created["memberCount"], 1);
    let id = created["id"].as_str().unwrap().to_owned();
    let channel_id = created["channelId"].as_str().unwrap().to_owned();
    let pool = sqlx::PgPool::connect(&stack.database.url()).await.unwrap();
    let commits: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT transaction_id) FROM events WHERE aggregate_id = $1 OR aggregate_id = $2",
    )
    .bind(&id)
    .bind(&channel_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(commits, 1, "the meetup and its channel were created in one commit");

    let listed = expect(call(&stack, Method::GET, "/v1/events", None, None).await, 200).await;
    assert_eq!(ids(&listed), [id.as_str()], "no token is needed to list meetups");
    assert_eq!(listed["items"][0], created);
    assert_eq!(listed["nextCursor"], Value::Null);

    let bob = stack.sign_up("bob").await;
    let joined = expect(
        call(&stack, Method::POST, "/v1/events/join", Some(&bob), Some(json!({ "id": id }))).await,
        201,
    )
    .await;
    assert_eq!(joined["memberCount"], 2);
    let again = expect(
        call(&stack, Method::POST, "/v1/events/join", Some(&bob), Some(json!({ "id": id }))).await,
        201,
    )
    .await;
    assert_eq!(again["memberCount"], 2, "joining twice counts once");
    let mine = expect(call(&stack, Method::GET, "/v1/events/join", Some(&bob), None).await, 200).await;
    assert_eq!(ids(&mine), [id.as_str()]);
    assert_eq!(mine["items"][0]["memberCount"], 2);

    let channels = expect(call(&stack, Method::GET, "/v1/channels", Some(&bob), None).await, 200).await;
    let channel =
        channels["items"].as_array().unwrap().iter().find(|c| c["id"] == channel_id.as_str()).unwrap();
    assert_eq!(channel["private"], false, "bob may read and post in it");
    assert_eq!(channel["name"], "Jam night");
    assert_eq!(channel["members"], json!([created["creator"]]), "the creator joined the channel too");
    let ada_joins = expect(
        call(&stack, Method::POST, "/v1/events/join", Some(ada), Some(json!({ "id": id }))).await,
        201,
    )
    .await;
    assert_eq!(ada_joins["memberCount"], 2, "the creator is a member already");
}

#[tokio::test]
async fn many_people_joining_one_meetup_at_once_all_join_and_the_meetup_itself_is_untouched() {
    let stack = Stack::start().await;
    let created = expect(
        call(&stack, Method::POST, "/v1/events", Some(&stack.token), Some(meetup("Big gig"))).await,
        201,
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let mut tokens = Vec::new();
    for n in 0..12 {
        tokens.push(stack.sign_up(&format!("fan{n}")).await);
    }
    let joins = tokens.iter().map(|token| {
        let body = json!({ "id": id });
        let stack = &stack;
        async move {
            call(stack, Method::POST, "/v1/events/join", Some(token), Some(body)).await.status().as_u16()
        }
    });
    let statuses = futures::future::join_all(joins).await;
    assert!(statuses.iter().all(|&status| status == 201), "{statuses:?}");
    let listed = expect(call(&stack, Method::GET, "/v1/events", None, None).await, 200).await;
    assert_eq!(listed["items"][0]["memberCount"], 13);
    let pool = sqlx::PgPool::connect(&stack.database.url()).await.unwrap();
    let meetup_events: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE aggregate_type = 'meetup' AND aggregate_id = $1",
    )
    .bind(&id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(meetup_events, 1, "joins do not append to the meetup, so none of them contend");
}

#[tokio::test]
async fn meetup_requests_that_are_wrong_say_what_is_wrong() {
    let stack = Stack::start().await;
    let token = &stack.token;
    let missing =
        expect(call(&stack, Method::POST, "/v1/events", Some(token), Some(json!({}))).await, 422).await;
    assert_eq!(fields(&missing), ["title", "dateTime", "location"]);
    let bad_time = json!({ "title": "x", "dateTime": "next friday", "location": "y" });
    let problem =
        expect(call(&stack, Method::POST, "/v1/events", Some(token), Some(bad_time)).await, 422).await;
    assert_eq!(fields(&problem), ["dateTime"]);
    expect(call(&stack, Method::POST, "/v1/events", None, Some(meetup("x"))).await, 401).await;
    let unknown = json!({ "id": "0192f0c0-0000-7000-8000-000000000000" });
    expect(call(&stack, Method::POST, "/v1/events/join", Some(token), Some(unknown)).await, 404).await;
    let problem =
        expect(call(&stack, Method::POST, "/v1/events/join", Some(token), Some(json!({}))).await, 422).await;
    assert_eq!(fields(&problem), ["id"]);
    expect(call(&stack, Method::GET, "/v1/events/join", None, None).await, 401).await;
    expect(call(&stack, Method::GET, "/v1/events?limit=0", None, None).await, 422).await;
}

#[tokio::test]
async fn meetups_page_newest_first_with_a_cursor() {
    let stack = Stack::start().await;
    let mut created = Vec::new();
    for title in ["one", "two", "three"] {
        let body = expect(
            call(&stack, Method::POST, "/v1/events", Some(&stack.token), Some(meetup(title))).await,
            201,
        )
        .await;
        created.push(body["id"].as_str().unwrap().to_owned());
    }
    let first = expect(call(&stack, Method::GET, "/v1/events?limit=2", None, None).await, 200).await;
    assert_eq!(ids(&first), [created[2].clone(), created[1].clone()]);
    let cursor = first["nextCursor"].as_str().unwrap();
    let second = expect(
        call(&stack, Method::GET, &format!("/v1/events?limit=2&cursor={cursor}"), None, None).await,
        200,
    )
    .await;
    assert_eq!(ids(&second), [created[0].clone()]);
    assert_eq!(second["nextCursor"], Value::Null);
}

#[tokio::test]
async fn a_private_channel_is_for_its_members_and_only_its_creator_manages_it() {
    let stack = Stack::start().await;
    let ada = stack.token.clone();
    let bob = stack.sign_up("bob").await;
    let bob_id = expect(call(&stack, Method::GET, "/v1/users/me", Some(&bob), None).await, 200).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = json!({ "name": "Synths", "description": "modular talk", "private": true });
    let channel = expect(call(&stack, Method::POST, "/v1/channels", Some(&ada), Some(body)).await, 201).await;
    assert_eq!(channel["name"], "Synths");
    assert_eq!(channel["private"], true);
    assert_eq!(channel["editedAt"], Value::Null);
    assert_eq!(channel["members"], json!([channel["creator"]]));
    let id = channel["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/channels/{id}");

    let taken = json!({ "name": "SYNTHS" });
    expect(call(&stack, Method::POST, "/v1/channels", Some(&bob), Some(taken)).await, 409).await;
    let visible = expect(call(&stack, Method::GET, "/v1/channels", Some(&bob), None).await, 200).await;
    assert!(!ids(&visible).contains(&id), "bob does not see ada's private channel");
    expect(call(&stack, Method::GET, &path, Some(&bob), None).await, 403).await;
    expect(call(&stack, Method::POST, &path, Some(&bob), Some(json!({ "body": "hi" }))).await, 403).await;
    let members = format!("{path}/members");
    expect(call(&stack, Method::POST, &members, Some(&bob), Some(json!({ "id": bob_id }))).await, 403).await;
    expect(call(&stack, Method::PATCH, &path, Some(&bob), Some(json!({ "name": "mine" }))).await, 403).await;
    expect(call(&stack, Method::DELETE, &path, Some(&bob), None).await, 403).await;

    let added =
        expect(call(&stack, Method::POST, &members, Some(&ada), Some(json!({ "id": bob_id }))).await, 201)
            .await;
    assert!(added["members"].as_array().unwrap().contains(&json!(bob_id)));
    let visible = expect(call(&stack, Method::GET, "/v1/channels", Some(&bob), None).await, 200).await;
    assert_eq!(ids(&visible), [id.as_str()]);
    expect(call(&stack, Method::POST, &path, Some(&bob), Some(json!({ "body": "hi" }))).await, 201).await;
    let nobody = json!({ "id": "0192f0c0-0000-7000-8000-000000000000" });
    expect(call(&stack, Method::POST, &members, Some(&ada), Some(nobody)).await, 404).await;

    let renamed =
        expect(call(&stack, Method::PATCH, &path, Some(&ada), Some(json!({ "name": "Modular" }))).await, 200)
            .await;
    assert_eq!(renamed["name"], "Modular");
    assert_eq!(renamed["description"], "modular talk");
    assert!(renamed["editedAt"].is_string());
    expect(
        call(&stack, Method::POST, "/v1/channels", Some(&bob), Some(json!({ "name": "synths" }))).await,
        201,
    )
    .await;
    expect(call(&stack, Method::PATCH, &path, Some(&ada), Some(json!({ "name": "synths" }))).await, 409)
        .await;

    let removed =
        expect(call(&stack, Method::DELETE, &members, Some(&ada), Some(json!({ "id": bob_id }))).await, 200)
            .await;
    assert!(!removed["members"].as_array().unwrap().contains(&json!(bob_id)));
    expect(call(&stack, Method::GET, &path, Some(&bob), None).await, 403).await;

    expect(call(&stack, Method::DELETE, &path, Some(&ada), None).await, 200).await;
    expect(call(&stack, Method::GET, &path, Some(&ada), None).await, 404).await;
    expect(
        call(&stack, Method::POST, "/v1/channels", Some(&bob), Some(json!({ "name": "Modular" }))).await,
        201,
    )
    .await;
}

#[tokio::test]
async fn messages_read_newest_first_page_with_before_and_only_their_author_changes_them() {
    let stack = Stack::start().await;
    let ada = stack.token.clone();
    let bob = stack.sign_up("bob").await;
    let channel = expect(
        call(&stack, Method::POST, "/v1/channels", Some(&ada), Some(json!({ "name": "lobby" }))).await,
        201,
    )
    .await;
    let path = format!("/v1/channels/{}", channel["id"].as_str().unwrap());
    let mut posted = Vec::new();
    for n in 0..3 {
        let token = if n == 1 { &bob } else { &ada };
        let message = expect(
            call(&stack, Method::POST, &path, Some(token), Some(json!({ "body": format!("m{n}") }))).await,
            201,
        )
        .await;
        assert_eq!(message["channelId"], channel["id"]);
        assert_eq!(message["body"], format!("m{n}"));
        assert_eq!(message["editedAt"], Value::Null);
        posted.push(message["id"].as_str().unwrap().to_owned());
    }
    let page = expect(call(&stack, Method::GET, &path, Some(&bob), None).await, 200).await;
    assert_eq!(ids(&page), [posted[2].clone(), posted[1].clone(), posted[0].clone()]);
    assert_eq!(page["nextCursor"], Value::Null);
    let older = expect(
        call(&stack, Method::GET, &format!("{path}?before={}", posted[1]), Some(&bob), None).await,
        200,
    )
    .await;
    assert_eq!(ids(&older), [posted[0].clone()]);
    expect(call(&stack, Method::GET, &format!("{path}?before=nope"), Some(&bob), None).await, 422).await;

    let message = format!("/v1/messages/{}", posted[0]);
    expect(call(&stack, Method::PATCH, &message, Some(&bob), Some(json!({ "body": "mine now" }))).await, 403)
        .await;
    expect(call(&stack, Method::DELETE, &message, Some(&bob), None).await, 403).await;
    let edited = expect(
        call(&stack, Method::PATCH, &message, Some(&ada), Some(json!({ "body": "m0, edited" }))).await,
        200,
    )
    .await;
    assert_eq!(edited["body"], "m0, edited");
    assert!(edited["editedAt"].is_string());
    let page = expect(call(&stack, Method::GET, &path, Some(&bob), None).await, 200).await;
    assert_eq!(page["items"][2], edited);

    expect(call(&stack, Method::DELETE, &format!("/v1/messages/{}", posted[2]), Some(&ada), None).await, 200)
        .await;
    let page = expect(call(&stack, Method::GET, &path, Some(&bob), None).await, 200).await;
    assert_eq!(ids(&page), [posted[1].clone(), posted[0].clone()]);
    expect(
        call(
            &stack,
            Method::PATCH,
            &format!("/v1/messages/{}", posted[2]),
            Some(&ada),
            Some(json!({ "body": "x" })),
        )
        .await,
        404,
    )
    .await;

    let empty =
        expect(call(&stack, Method::POST, &path, Some(&ada), Some(json!({ "body": "  " }))).await, 422).await;
    assert_eq!(fields(&empty), ["body"]);
    let long = json!({ "body": "x".repeat(4001) });
    expect(call(&stack, Method::POST, &path, Some(&ada), Some(long)).await, 422).await;
    expect(
        call(&stack, Method::POST, &path, Some(&ada), Some(json!({ "body": "x".repeat(4000) }))).await,
        201,
    )
    .await;
    let unknown = "/v1/channels/0192f0c0-0000-7000-8000-000000000000";
    expect(call(&stack, Method::POST, unknown, Some(&ada), Some(json!({ "body": "x" }))).await, 404).await;
    expect(call(&stack, Method::GET, unknown, Some(&ada), None).await, 404).await;
    expect(call(&stack, Method::GET, &path, None, None).await, 401).await;
}

#[tokio::test]
async fn a_repeated_idempotency_key_creates_one_channel_and_one_message() {
    let stack = Stack::start().await;
    let create = || async {
        stack
            .http
            .post(format!("{}/v1/channels", stack.command))
            .bearer_auth(&stack.token)
            .header("Idempotency-Key", "channel-1")
            .json(&json!({ "name": "once" }))
            .send()
            .await
            .unwrap()
    };
    let first = expect(create().await, 201).await;
    let second = expect(create().await, 201).await;
    assert_eq!(first["id"], second["id"]);
    let path = format!("/v1/channels/{}", first["id"].as_str().unwrap());
    let post = |body: &'static str| {
        let request = stack
            .http
            .post(format!("{}{path}", stack.command))
            .bearer_auth(&stack.token)
            .header("Idempotency-Key", "message-1")
            .json(&json!({ "body": body }));
        async move { request.send().await.unwrap() }
    };
    let first = expect(post("hello").await, 201).await;
    let again = expect(post("hello").await, 201).await;
    assert_eq!(first["id"], again["id"]);
    expect(post("something else").await, 422).await;
    let page = expect(call(&stack, Method::GET, &path, Some(&stack.token), None).await, 200).await;
    assert_eq!(ids(&page).len(), 1);
}

#[tokio::test]
async fn a_user_posting_past_the_chat_limit_gets_429_with_retry_after_but_replays_and_others_do_not() {
    let adjust: fn(&mut settings::Settings) = |settings| settings.meetups.messages_per_minute = 3;
    let stack = Stack::start_with(e2e::StackOptions { adjust: Some(adjust), ..Default::default() }).await;
    let bob = stack.sign_up("bob").await;
    let channel = expect(
        call(&stack, Method::POST, "/v1/channels", Some(&stack.token), Some(json!({ "name": "lobby" })))
            .await,
        201,
    )
    .await;
    let path = format!("/v1/channels/{}", channel["id"].as_str().unwrap());
    let keyed = || {
        stack
            .http
            .post(format!("{}{path}", stack.command))
            .bearer_auth(&stack.token)
            .header("Idempotency-Key", "hello-once")
            .json(&json!({ "body": "hello" }))
            .send()
    };
    let first = expect(keyed().await.unwrap(), 201).await;
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for n in 0..5 {
        let response =
            call(&stack, Method::POST, &path, Some(&stack.token), Some(json!({ "body": format!("m{n}") })))
                .await;
        statuses.push(response.status().as_u16());
        if response.status() == 429 {
            retry_after =
                response.headers().get("retry-after").map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
        }
    }
    // A minute boundary may fall between the posts and refill the allowance once.
    assert!(statuses.iter().filter(|&&s| s == 429).count() >= 1, "{statuses:?}");
    assert!(retry_after.is_some_and(|seconds| (1..=60).contains(&seconds)), "{retry_after:?}");
    // A replay of a message already posted posts nothing new: it is answered, not limited.
    let replayed = expect(keyed().await.unwrap(), 201).await;
    assert_eq!(replayed["id"], first["id"]);
    expect(call(&stack, Method::POST, &path, Some(&bob), Some(json!({ "body": "still here" }))).await, 201)
        .await;
}

#[tokio::test]
async fn a_channel_name_is_never_stuck_by_a_replayed_create_or_a_claim_its_deleted_channel_left() {
    let stack = Stack::start().await;
    let create = |name: &'static str, key: Option<&'static str>| {
        let mut request = stack.http.post(format!("{}/v1/channels", stack.command)).bearer_auth(&stack.token);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        request.json(&json!({ "name": name })).send()
    };
    let first = expect(create("alpha", Some("k1")).await.unwrap(), 201).await;
    let path = format!("/v1/channels/{}", first["id"].as_str().unwrap());
    expect(
        call(&stack, Method::PATCH, &path, Some(&stack.token), Some(json!({ "name": "beta" }))).await,
        200,
    )
    .await;
    let replayed = expect(create("alpha", Some("k1")).await.unwrap(), 201).await;
    assert_eq!(replayed["id"], first["id"]);
    assert_eq!(replayed["name"], "beta", "a replay answers with the channel as it now is");
    expect(create("alpha", None).await.unwrap(), 201).await;

    // A claim a deleted channel still holds (its release failed) does not keep the name.
    let doomed = expect(create("gamma", None).await.unwrap(), 201).await;
    let doomed_id = doomed["id"].as_str().unwrap();
    expect(
        call(&stack, Method::DELETE, &format!("/v1/channels/{doomed_id}"), Some(&stack.token), None).await,
        200,
    )
    .await;
    let pool = sqlx::PgPool::connect(&stack.database.url()).await.unwrap();
    sqlx::query("INSERT INTO unique_claims (kind, value, user_id) VALUES ('channel_name', 'gamma', $1)")
        .bind(doomed_id)
        .execute(&pool)
        .await
        .unwrap();
    expect(create("gamma", None).await.unwrap(), 201).await;
    expect(create("beta", None).await.unwrap(), 409).await;
}

#[tokio::test]
async fn a_channel_shows_its_latest_hundred_messages_and_the_cursor_survives_a_deletion() {
    let stack = Stack::start().await;
    let channel = expect(
        call(&stack, Method::POST, "/v1/channels", Some(&stack.token), Some(json!({ "name": "busy" }))).await,
        201,
    )
    .await;
    let path = format!("/v1/channels/{}", channel["id"].as_str().unwrap());
    let mut posted = Vec::new();
    for n in 0..103 {
        let message = expect(
            call(&stack, Method::POST, &path, Some(&stack.token), Some(json!({ "body": format!("m{n}") })))
                .await,
            201,
        )
        .await;
        posted.push(message["id"].as_str().unwrap().to_owned());
    }
    let first = expect(call(&stack, Method::GET, &path, Some(&stack.token), None).await, 200).await;
    let newest: Vec<String> = posted.iter().rev().take(100).cloned().collect();
    assert_eq!(ids(&first), newest);
    let cursor = first["nextCursor"].as_str().unwrap().to_owned();
    // The last message shown is deleted before the next page is asked for.
    expect(
        call(&stack, Method::DELETE, &format!("/v1/messages/{}", posted[3]), Some(&stack.token), None).await,
        200,
    )
    .await;
    let older = expect(
        call(&stack, Method::GET, &format!("{path}?cursor={cursor}"), Some(&stack.token), None).await,
        200,
    )
    .await;
    assert_eq!(ids(&older), [posted[2].clone(), posted[1].clone(), posted[0].clone()]);
    assert_eq!(older["nextCursor"], Value::Null);
    expect(call(&stack, Method::GET, &format!("{path}?cursor=bogus"), Some(&stack.token), None).await, 422)
        .await;
}

/// Every channel `token` may see as `(id, name)`, all pages.
async fn visible_channels(stack: &Stack, token: &str) -> Vec<(String, String)> {
    let mut channels = Vec::new();
    let mut path = "/v1/channels?limit=100".to_owned();
    loop {
        let page = expect(call(stack, Method::GET, &path, Some(token), None).await, 200).await;
        for item in page["items"].as_array().unwrap() {
            channels
                .push((item["id"].as_str().unwrap().to_owned(), item["name"].as_str().unwrap().to_owned()));
        }
        match page["nextCursor"].as_str() {
            Some(cursor) => path = format!("/v1/channels?limit=100&cursor={cursor}"),
            None => return channels,
        }
    }
}

/// The ids of the channels listed as `name` (in any case), once the query side lists every channel in
/// `present` under that name and none in `gone` (writes are answered once projected, but only for up to
/// a second).
async fn listed_as(stack: &Stack, name: &str, present: &[String], gone: &[String]) -> Vec<String> {
    let folded = name.to_lowercase();
    let what = format!("{present:?} and not {gone:?} to be listed as {name}");
    testkit::wait_until(&what, std::time::Duration::from_secs(5), || async {
        let called: Vec<String> = visible_channels(stack, &stack.token)
            .await
            .into_iter()
            .filter(|(_, listed)| listed.to_lowercase() == folded)
            .map(|(id, _)| id)
            .collect();
        let settled =
            present.iter().all(|id| called.contains(id)) && !gone.iter().any(|id| called.contains(id));
        settled.then_some(called)
    })
    .await
}

/// The statuses of `answers`, and the ids of those that succeeded with `success`.
async fn outcomes(answers: Vec<Response>, success: u16) -> (Vec<u16>, Vec<String>) {
    let mut statuses = Vec::new();
    let mut ids = Vec::new();
    for answer in answers {
        let status = answer.status().as_u16();
        let body: Value = answer.json().await.unwrap_or(Value::Null);
        if status == success {
            ids.push(body["id"].as_str().unwrap().to_owned());
        }
        statuses.push(status);
    }
    (statuses, ids)
}

async fn create_channel(stack: &Stack, token: &str, name: &str) -> Response {
    call(stack, Method::POST, "/v1/channels", Some(token), Some(json!({ "name": name }))).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twelve_simultaneous_creates_of_one_channel_name_give_one_201_and_eleven_409s_round_after_round() {
    let stack = Stack::start().await;
    let bob = stack.sign_up("bob").await;
    for round in 0..20 {
        let name = format!("Race {round}");
        let creates = (0..12).map(|n| {
            let token = if n % 2 == 0 { stack.token.as_str() } else { bob.as_str() };
            // The same name in another case is the same name.
            let spelled = if n % 3 == 0 { name.to_uppercase() } else { name.clone() };
            let stack = &stack;
            async move { create_channel(stack, token, &spelled).await }
        });
        let (mut statuses, created) = outcomes(join_all(creates).await, 201).await;
        statuses.sort();
        assert_eq!(statuses, [201, 409, 409, 409, 409, 409, 409, 409, 409, 409, 409, 409], "round {round}");
        assert_eq!(listed_as(&stack, &name, &created, &[]).await, created, "round {round}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rename_racing_creates_of_the_new_name_leaves_exactly_one_channel_so_called() {
    let stack = Stack::start().await;
    let bob = stack.sign_up("bob").await;
    for round in 0..10 {
        let (old, name) = (format!("Before {round}"), format!("After {round}"));
        let channel = expect(create_channel(&stack, &stack.token, &old).await, 201).await;
        let id = channel["id"].as_str().unwrap().to_owned();
        let path = format!("/v1/channels/{id}");
        let rename = call(&stack, Method::PATCH, &path, Some(&stack.token), Some(json!({ "name": name })));
        let creates = join_all((0..11).map(|_| create_channel(&stack, &bob, &name)));
        let (renamed, answers) = futures::join!(rename, creates);
        let renamed = renamed.status().as_u16();
        let (statuses, created) = outcomes(answers, 201).await;
        let refused = statuses.iter().filter(|&&status| status == 409).count();
        match renamed {
            200 => assert_eq!((created.len(), refused), (0, 11), "round {round}: {statuses:?}"),
            409 => assert_eq!((created.len(), refused), (1, 10), "round {round}: {statuses:?}"),
            other => panic!("round {round}: the rename answered {other}"),
        }
        let winner = if renamed == 200 { vec![id.clone()] } else { created };
        assert_eq!(listed_as(&stack, &name, &winner, &[]).await, winner, "round {round}");
        // The old name is free exactly when the channel gave it up.
        let again = create_channel(&stack, &bob, &old).await.status().as_u16();
        assert_eq!(again, if renamed == 200 { 201 } else { 409 }, "round {round}");
    }
}

/// The rule: a deleted channel gives its name up at once, so a create that comes after the delete
/// takes it; one that comes before is refused. Never are two channels so called.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_racing_creates_of_its_name_frees_the_name_for_at_most_one_of_them() {
    let stack = Stack::start().await;
    let bob = stack.sign_up("bob").await;
    for round in 0..10 {
        let name = format!("Gone {round}");
        let channel = expect(create_channel(&stack, &stack.token, &name).await, 201).await;
        let id = channel["id"].as_str().unwrap().to_owned();
        let path = format!("/v1/channels/{id}");
        let delete = call(&stack, Method::DELETE, &path, Some(&stack.token), None);
        let creates = join_all((0..11).map(|_| create_channel(&stack, &bob, &name)));
        let (deleted, answers) = futures::join!(delete, creates);
        assert_eq!(deleted.status(), 200, "round {round}");
        let (statuses, created) = outcomes(answers, 201).await;
        let refused = statuses.iter().filter(|&&status| status == 409).count();
        assert!(created.len() <= 1 && created.len() + refused == 11, "round {round}: {statuses:?}");
        assert_eq!(listed_as(&stack, &name, &created, &[id]).await, created, "round {round}");
        // Afterwards the name is free unless one of the creates took it.
        let again = create_channel(&stack, &bob, &name).await.status().as_u16();
        assert_eq!(again, if created.is_empty() { 201 } else { 409 }, "round {round}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twelve_simultaneous_creates_with_one_idempotency_key_make_one_channel_and_answer_it_to_all() {
    let stack = Stack::start().await;
    let creates = (0..12).map(|_| {
        stack
            .http
            .post(format!("{}/v1/channels", stack.command))
            .bearer_auth(&stack.token)
            .header("Idempotency-Key", "one-channel")
            .json(&json!({ "name": "keyed" }))
            .send()
    });
    let answers: Vec<Response> = join_all(creates).await.into_iter().map(Result::unwrap).collect();
    let (statuses, created) = outcomes(answers, 201).await;
    assert_eq!(statuses, [201; 12]);
    assert!(created.iter().all(|id| id == &created[0]), "{created:?}");
    assert_eq!(listed_as(&stack, "keyed", &created[..1], &[]).await, &created[..1]);
}
