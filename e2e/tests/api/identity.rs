use std::time::Duration;

use e2e::{Stack, StackOptions};
use futures::future::join_all;
use serde_json::{Value, json};

fn sign_up_body(email: &str, user_name: &str) -> Value {
    json!({ "email": email, "password": "correct horse", "passwordConf": "correct horse", "userName": user_name })
}

async fn sign_up(stack: &Stack, body: Value) -> reqwest::Response {
    stack.http.post(format!("{}/v1/users", stack.command)).json(&body).send().await.unwrap()
}

async fn sign_in(stack: &Stack, email: &str, password: &str) -> reqwest::Response {
    stack
        .http
        .post(format!("{}/v1/sessions", stack.command))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap()
}

async fn post_score_as(stack: &Stack, token: &str) -> reqwest::StatusCode {
    stack
        .http
        .post(format!("{}/v1/scores", stack.command))
        .bearer_auth(token)
        .json(&json!({ "game": "tetris", "player": "ada", "score": 1 }))
        .send()
        .await
        .unwrap()
        .status()
}

async fn me_as(stack: &Stack, token: &str) -> reqwest::Response {
    stack.http.get(format!("{}/v1/users/me", stack.query)).bearer_auth(token).send().await.unwrap()
}

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"].as_array().map_or(vec![], |errors| {
        errors.iter().map(|e| e["field"].as_str().unwrap_or_default().to_owned()).collect()
    })
}

#[tokio::test]
async fn a_new_user_gets_a_token_that_reads_their_own_profile_at_once() {
    let stack = Stack::start().await;
    let response = sign_up(
        &stack,
        json!({
            "email": " Ada@Example.com ", "password": "correct horse", "passwordConf": "correct horse",
            "userName": "ada", "firstName": "Ada", "lastName": "Lovelace"
        }),
    )
    .await;
    assert_eq!(response.status(), 201);
    let token =
        response.headers()["authorization"].to_str().unwrap().trim_start_matches("Bearer ").to_owned();
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["email"], "ada@example.com");
    assert!(created["photoUrl"].as_str().unwrap().starts_with("https://www.gravatar.com/avatar/"));
    let me: Value = me_as(&stack, &token).await.json().await.unwrap();
    assert_eq!(me["id"], created["id"]);
    assert_eq!(me["userName"], "ada");
    assert_eq!(me["firstName"], "Ada");
}

#[tokio::test]
async fn another_users_profile_is_shown_without_their_email() {
    let stack = Stack::start().await;
    let other: Value = sign_up(&stack, sign_up_body("bob@example.com", "bob")).await.json().await.unwrap();
    let seen: Value =
        stack.get(&format!("/v1/users/{}", other["id"].as_str().unwrap())).await.json().await.unwrap();
    assert_eq!(seen["userName"], "bob");
    assert!(seen.get("email").is_none());
    assert_eq!(stack.get("/v1/users/00000000-0000-0000-0000-000000000000").await.status(), 404);
}

#[tokio::test]
async fn an_email_in_any_case_or_a_user_name_already_taken_is_a_409() {
    let stack = Stack::start().await;
    assert_eq!(sign_up(&stack, sign_up_body("ada@example.com", "ada")).await.status(), 201);
    assert_eq!(sign_up(&stack, sign_up_body("ADA@example.COM", "ada2")).await.status(), 409);
    assert_eq!(sign_up(&stack, sign_up_body("other@example.com", "ada")).await.status(), 409);
}

#[tokio::test]
async fn twelve_simultaneous_sign_ups_with_one_email_give_one_201_and_eleven_409s() {
    let stack = Stack::start().await;
    let answers =
        join_all((0..12).map(|n| sign_up(&stack, sign_up_body("race@example.com", &format!("racer{n}")))))
            .await;
    let mut statuses: Vec<u16> = answers.iter().map(|a| a.status().as_u16()).collect();
    statuses.sort();
    assert_eq!(statuses, [201, 409, 409, 409, 409, 409, 409, 409, 409, 409, 409, 409]);
}

#[tokio::test]
async fn twelve_simultaneous_sign_ups_with_one_user_name_give_one_201_and_eleven_409s_naming_it() {
    let stack = Stack::start().await;
    let emails: Vec<String> = (0..12).map(|n| format!("racer{n}@example.com")).collect();
    let answers = join_all(emails.iter().map(|email| sign_up(&stack, sign_up_body(email, "racer")))).await;
    let mut statuses = Vec::new();
    let mut winner = None;
    for answer in answers {
        let status = answer.status().as_u16();
        let body: Value = answer.json().await.unwrap();
        match status {
            201 => winner = body["email"].as_str().map(str::to_owned),
            409 => assert!(body["detail"].as_str().unwrap().contains("userName"), "{body}"),
            _ => {}
        }
        statuses.push(status);
    }
    statuses.sort();
    assert_eq!(statuses, [201, 409, 409, 409, 409, 409, 409, 409, 409, 409, 409, 409]);
    // A refused sign-up claims nothing: its e-mail is free for the next one.
    let loser = emails.iter().find(|&email| Some(email) != winner.as_ref()).unwrap();
    assert_eq!(sign_up(&stack, sign_up_body(loser, "racer-again")).await.status(), 201);
}

#[tokio::test]
async fn invalid_sign_ups_are_422s_naming_every_field() {
    let stack = Stack::start().await;
    let response = sign_up(
        &stack,
        json!({
            "email": "not-an-email", "password": "short", "passwordConf": "other", "userName": "has space"
        }),
    )
    .await;
    assert_eq!(response.status(), 422);
    assert_eq!(fields(&response.json().await.unwrap()), ["email", "userName", "password"]);
    let response = sign_up(&stack, json!({
        "email": "ok@example.com", "password": "long enough", "passwordConf": "long enougH", "userName": "ok"
    }))
    .await;
    assert_eq!(fields(&response.json().await.unwrap()), ["passwordConf"]);
    let not_json =
        stack.http.post(format!("{}/v1/users", stack.command)).body("email=a").send().await.unwrap();
    assert_eq!(not_json.status(), 415);
}

#[tokio::test]
async fn signing_in_gives_a_token_and_wrong_credentials_all_get_the_same_401() {
    let stack = Stack::start().await;
    let response = sign_in(&stack, "Tester@Example.com", "correct horse").await;
    assert_eq!(response.status(), 201);
    assert!(response.headers()["authorization"].to_str().unwrap().starts_with("Bearer "));
    let session: Value = response.json().await.unwrap();
    assert_eq!(session["user"]["userName"], "tester");
    assert!(session["expiresAt"].as_str().is_some());
    assert_eq!(post_score_as(&stack, session["token"].as_str().unwrap()).await, 202);

    let wrong_password = sign_in(&stack, "tester@example.com", "wrong horse").await;
    let unknown_email = sign_in(&stack, "nobody@example.com", "correct horse").await;
    assert_eq!((wrong_password.status().as_u16(), unknown_email.status().as_u16()), (401, 401));
    let (a, b): (Value, Value) = (wrong_password.json().await.unwrap(), unknown_email.json().await.unwrap());
    assert_eq!(a["detail"], b["detail"]);
}

#[tokio::test]
async fn writes_need_a_token_and_leaderboards_do_not() {
    let stack = Stack::start().await;
    let anonymous = stack
        .http
        .post(format!("{}/v1/scores", stack.command))
        .json(&json!({ "game": "tetris", "player": "ada", "score": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let put =
        stack.http.put(format!("{}/v1/games/tetris", stack.command)).json(&json!({})).send().await.unwrap();
    assert_eq!(put.status(), 401);
    stack.finished(&stack.submit(json!({ "game": "tetris", "player": "ada", "score": 1 })).await).await;
    let public = stack.http.get(format!("{}/v1/leaderboards/tetris", stack.query)).send().await.unwrap();
    assert_eq!(public.status(), 200);
}

#[tokio::test]
async fn garbage_tampered_and_unsigned_tokens_are_401s() {
    let stack = Stack::start().await;
    let mut parts: Vec<String> = stack.token.split('.').map(str::to_owned).collect();
    parts[1] = parts[1].chars().rev().collect();
    let tampered = parts.join(".");
    let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.", stack.token.split('.').nth(1).unwrap());
    let foreign = {
        let mut settings = stack.settings.auth.clone();
        settings.jwt_secret = Some("another secret".to_owned().into());
        let claims = http_kit::auth::Tokens::from_settings(&settings).unwrap();
        let now = chrono::Utc::now();
        claims.issue("u", "s", &["admin".into()], now, now + chrono::Duration::hours(1))
    };
    for token in ["garbage", tampered.as_str(), unsigned.as_str(), foreign.as_str()] {
        assert_eq!(post_score_as(&stack, token).await, 401, "{token} was accepted");
        assert_eq!(me_as(&stack, token).await.status(), 401);
    }
}

#[tokio::test]
async fn an_expired_token_is_a_401() {
    let stack = Stack::start().await;
    let tokens = http_kit::auth::Tokens::from_settings(&stack.settings.auth).unwrap();
    let now = chrono::Utc::now();
    let claims = tokens.verify(&stack.token).unwrap();
    let expired = tokens.issue(
        &claims.sub,
        &claims.sid,
        &[],
        now - chrono::Duration::hours(25),
        now - chrono::Duration::seconds(5),
    );
    assert_eq!(post_score_as(&stack, &expired).await, 401);
}

#[tokio::test]
async fn after_signing_out_the_token_is_refused_by_every_service_at_once() {
    let stack = Stack::start().await;
    let signed_out = stack
        .http
        .delete(format!("{}/v1/sessions/mine", stack.command))
        .bearer_auth(&stack.token)
        .send()
        .await
        .unwrap();
    assert_eq!(signed_out.status(), 200);
    assert_eq!(post_score_as(&stack, &stack.token).await, 401);
    assert_eq!(me_as(&stack, &stack.token).await.status(), 401);
}

#[tokio::test]
async fn someone_elses_job_is_a_404() {
    let stack = Stack::start().await;
    let job = stack.submit(json!({ "game": "tetris", "player": "ada", "score": 1 })).await;
    let other = stack.sign_up("mallory").await;
    let response =
        stack.http.get(format!("{}/v1/jobs/{job}", stack.query)).bearer_auth(&other).send().await.unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn forty_rapid_wrong_passwords_get_429s_with_retry_after() {
    let stack = Stack::start().await;
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..40 {
        let response = sign_in(&stack, "tester@example.com", "wrong horse").await;
        if response.status() == 429 {
            retry_after = response.headers().get("retry-after").cloned();
        }
        statuses.push(response.status().as_u16());
    }
    assert!(statuses.iter().filter(|&&s| s == 429).count() >= 25, "{statuses:?}");
    assert!(retry_after.is_some());
}

#[tokio::test]
async fn a_profile_change_keeps_what_it_does_not_mention() {
    let stack = Stack::start().await;
    let changed = stack
        .http
        .patch(format!("{}/v1/users/me", stack.command))
        .bearer_auth(&stack.token)
        .json(&json!({ "firstName": "Tess" }))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
    let user: Value = changed.json().await.unwrap();
    assert_eq!((user["firstName"].as_str(), user["userName"].as_str()), (Some("Tess"), Some("tester")));
    let me: Value = me_as(&stack, &stack.token).await.json().await.unwrap();
    assert_eq!(me["firstName"], "Tess");
}

#[tokio::test]
async fn an_emptied_redis_logs_nobody_out_once_the_projector_rebuilt_it() {
    let stack = Stack::start_with(StackOptions::default()).await;
    stack.empty_redis().await;
    testkit::wait_until("the projector to rebuild the sessions", Duration::from_secs(20), || async {
        (me_as(&stack, &stack.token).await.status() == 200).then_some(())
    })
    .await;
    assert_eq!(post_score_as(&stack, &stack.token).await, 202);
}

#[tokio::test]
async fn while_the_sessions_are_rebuilt_the_command_side_asks_the_event_log() {
    let stack = Stack::start_with(StackOptions { without_projector: true, ..Default::default() }).await;
    let leaving = stack.sign_up("leaving").await;
    let signed_out =
        stack.http.delete(format!("{}/v1/sessions/mine", stack.command)).bearer_auth(&leaving).send().await;
    assert_eq!(signed_out.unwrap().status(), 200);
    // What a rebuild starts from: no records, no tombstones, no checkpoint.
    stack.empty_redis().await;

    assert_eq!(post_score_as(&stack, &stack.token).await, 202, "an open session goes on writing");
    assert_eq!(post_score_as(&stack, &leaving).await, 401, "a revoked one stays revoked");
    assert_eq!(me_as(&stack, &stack.token).await.status(), 503, "the query side cannot tell yet");
}
