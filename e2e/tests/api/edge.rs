//! Security at the edge: the headers nginx adds to every answer, the Content-Security-Policy the
//! pages must live within, and the rate limits on sign-ups, sign-ins and writes.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use e2e::{Nginx, Stack};
use futures::StreamExt;
use futures::future::join_all;
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

/// The policy of the pages and the API, as nginx sends it.
const CSP: &str = "default-src 'self'; img-src 'self' data: https://www.gravatar.com; connect-src 'self'; \
                   frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

async fn stack_behind_nginx() -> (Stack, Nginx) {
    let stack = Stack::start().await;
    let nginx =
        Nginx::start(stack.query.trim_start_matches("http://"), stack.command.trim_start_matches("http://"))
            .await;
    (stack, nginx)
}

/// A client whose requests come from `source` (any address of 127.0.0.0/8 is this machine's).
fn client_from(source: Ipv4Addr) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(source))
        .timeout(Duration::from_secs(20))
        .build()
        .expect("http client")
}

/// Each of `name`'s values (a header sent twice would show here).
fn values<'a>(headers: &'a HeaderMap, name: &str) -> Vec<&'a str> {
    headers.get_all(name).iter().map(|v| v.to_str().unwrap_or("(not text)")).collect()
}

/// The headers every answer carries, each once.
fn assert_edge_headers(headers: &HeaderMap, csp: &str, what: &str) {
    assert_eq!(values(headers, "x-content-type-options"), ["nosniff"], "{what}");
    assert_eq!(values(headers, "referrer-policy"), ["no-referrer"], "{what}");
    assert_eq!(values(headers, "x-frame-options"), ["DENY"], "{what}");
    assert_eq!(values(headers, "content-security-policy"), [csp], "{what}");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}");
}

#[tokio::test]
async fn a_page_an_api_answer_and_error_problems_all_carry_the_security_headers() {
    let (stack, nginx) = stack_behind_nginx().await;
    let page = stack.http.get(format!("{}/", nginx.url)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_edge_headers(page.headers(), CSP, "the page");

    let me =
        stack.http.get(format!("{}/v1/users/me", nginx.url)).bearer_auth(&stack.token).send().await.unwrap();
    assert_eq!(me.status(), 200);
    assert_edge_headers(me.headers(), CSP, "an API answer");

    let missing = stack.http.get(format!("{}/v1/leaderboards/nope", nginx.url)).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.headers()["content-type"], "application/problem+json");
    assert_edge_headers(missing.headers(), CSP, "a service's problem");

    let too_large = stack
        .http
        .post(format!("{}/v1/scores", nginx.url))
        .bearer_auth(&stack.token)
        .header("content-type", "application/json")
        .body(vec![b' '; 1024 * 1024 + 10])
        .send()
        .await
        .unwrap();
    assert_eq!(too_large.status(), 413);
    assert_edge_headers(too_large.headers(), CSP, "nginx's own problem");
    assert!(too_large.headers().get("retry-after").is_none(), "only 429 and 503 say when to retry");
}

#[tokio::test]
async fn nginx_says_when_to_retry_its_own_503() {
    let stack = Stack::start().await;
    let nginx = Nginx::start(stack.query.trim_start_matches("http://"), "127.0.0.1:9").await;
    let response = stack.http.post(format!("{}/v1/scores", nginx.url)).json(&json!({})).send().await.unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(values(response.headers(), "retry-after"), ["1"]);
    assert_edge_headers(response.headers(), CSP, "nginx's 503");
}

#[tokio::test]
async fn a_services_own_429_keeps_its_retry_after_and_gets_no_second_one() {
    let (stack, nginx) = stack_behind_nginx().await;
    // command-api's own limit: more than 10 failed sign-ins a minute for one e-mail (well under
    // nginx's limit of a burst of 20).
    let wrong = json!({ "email": "tester@example.com", "password": "wrong horse" });
    let mut answer = None;
    for _ in 0..12 {
        let response =
            stack.http.post(format!("{}/v1/sessions", nginx.url)).json(&wrong).send().await.unwrap();
        if response.status() == 429 {
            answer = Some(response);
            break;
        }
        assert_eq!(response.status(), 401);
        assert!(response.headers().get("retry-after").is_none(), "a 401 says nothing of retrying");
    }
    let limited = answer.expect("command-api's 429 for the 11th failure");
    let retry_after = values(limited.headers(), "retry-after");
    assert_eq!(retry_after.len(), 1, "one Retry-After: {retry_after:?}");
    let seconds: u64 = retry_after[0].parse().unwrap();
    assert!((1..=60).contains(&seconds), "the service's: until the minute ends");
    assert_edge_headers(limited.headers(), CSP, "a service's 429");
    let body: Value = limited.json().await.unwrap();
    assert_eq!(body["detail"], "too many requests; slow down and try again", "the service's problem");
}

#[tokio::test]
async fn swagger_ui_gets_a_policy_of_its_own_that_still_allows_no_inline_script() {
    let (stack, nginx) = stack_behind_nginx().await;
    let docs = stack.http.get(format!("{}/docs/", nginx.url)).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    let csp = values(docs.headers(), "content-security-policy").concat();
    assert_edge_headers(docs.headers(), &csp, "Swagger UI");
    let directives = directives(&csp);
    assert_eq!(directives["default-src"], ["'self'"]);
    assert!(!directives.contains_key("script-src"), "scripts fall back to default-src 'self': {csp}");
    assert_eq!(directives["style-src"], ["'self'", "'unsafe-inline'"], "Swagger UI sets inline styles");
    assert_eq!(directives["img-src"], ["'self'", "data:"], "its icons are data: URLs");
    // What the page loads is its own, all of it served, and none of its scripts is inline.
    let html = docs.text().await.unwrap();
    let page = Page::parse(&html);
    assert!(page.inline.is_empty(), "inline script or style in Swagger UI's page: {:?}", page.inline);
    assert!(page.references.len() >= 3, "{:?}", page.references);
    for reference in &page.references {
        assert!(same_origin(&reference.url), "Swagger UI loads {reference:?} from elsewhere");
        let url = format!("{}/docs/{}", nginx.url, reference.url.trim_start_matches("./"));
        let asset = stack.http.get(&url).send().await.unwrap();
        assert_eq!(asset.status(), 200, "{url}");
        assert_edge_headers(asset.headers(), &csp, &url);
    }
}

#[tokio::test]
async fn every_page_loads_only_what_the_policy_allows_and_has_no_inline_script_or_style() {
    let (stack, nginx) = stack_behind_nginx().await;
    let web = e2e::workspace_root().join("web");
    let mut pages: Vec<_> = std::fs::read_dir(&web)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "html"))
        .collect();
    pages.sort();
    assert!(!pages.is_empty(), "web/ has pages");
    for path in pages {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let page = Page::parse(&std::fs::read_to_string(&path).unwrap());
        assert!(page.inline.is_empty(), "{name}: the policy refuses {:?}", page.inline);
        for reference in &page.references {
            let allowed = if same_origin(&reference.url) {
                let url = format!("{}/{}", nginx.url, reference.url.trim_start_matches(['.', '/']));
                let served = stack.http.get(&url).send().await.unwrap().status();
                assert_eq!(served, 200, "{name} loads {url}");
                true
            } else {
                // Images (icons included) may also be data: URLs or Gravatar's.
                reference.is_image
                    && (reference.url.starts_with("data:")
                        || reference.url.starts_with("https://www.gravatar.com/"))
            };
            assert!(allowed, "{name}: the policy refuses {reference:?}");
        }
        let served = stack.http.get(format!("{}/{name}", nginx.url)).send().await.unwrap();
        assert_edge_headers(served.headers(), CSP, &name);
    }
}

#[tokio::test]
async fn hammering_sign_in_from_one_address_gets_429_problems_with_retry_after() {
    let (stack, nginx) = stack_behind_nginx().await;
    // An invalid body: command-api answers 422 at once, without hashing a password or counting a
    // failed sign-in of its own, so every 429 here is nginx's.
    let attempt = |http: reqwest::Client, path: &'static str| {
        let url = format!("{}{path}", nginx.url);
        async move { (path, http.post(url).json(&json!({})).send().await.unwrap()) }
    };
    // Sign-ins and sign-ups share one limit: 60 of them at once from one address.
    let paths = ["/v1/sessions", "/v1/sessions", "/v1/users"];
    let answers = join_all((0..60).map(|n| attempt(stack.http.clone(), paths[n % 3]))).await;
    let passed = answers.iter().filter(|(_, r)| r.status() == 422).count();
    let limited = answers.iter().filter(|(_, r)| r.status() == 429).count();
    assert_eq!(passed + limited, 60, "every answer is the service's 422 or nginx's 429");
    assert!((20..=40).contains(&passed), "a burst of 20 (and what 10/s refills meanwhile) passes: {passed}");
    for path in ["/v1/sessions", "/v1/users"] {
        assert!(answers.iter().any(|(p, r)| *p == path && r.status() == 429), "{path} is limited");
    }
    for (_, response) in answers.into_iter().filter(|(_, r)| r.status() == 429) {
        assert_too_many_requests(response).await;
    }
    // Another address has a limit of its own.
    let (_, elsewhere) = attempt(client_from(Ipv4Addr::new(127, 0, 0, 2)), "/v1/sessions").await;
    assert_eq!(elsewhere.status(), 422, "the limit is per address");
    // Reads are not limited.
    let read = stack.http.get(format!("{}/v1/users/me", nginx.url)).bearer_auth(&stack.token).send().await;
    assert_eq!(read.unwrap().status(), 200);
    // A second later, sign-ins are let through again.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_eq!(attempt(stack.http.clone(), "/v1/sessions").await.1.status(), 422);
}

#[tokio::test]
async fn writes_of_every_method_beyond_the_limit_get_429_but_loopback_is_exempt() {
    let (_stack, nginx) = stack_behind_nginx().await;
    let foreign = write_burst(&nginx.url, client_from(Ipv4Addr::new(127, 0, 0, 2))).await;
    assert!(foreign.iter().all(|(_, r)| r.status().is_client_error()), "a 401 or a 429 each");
    for (method, _) in WRITES {
        let limited = foreign.iter().any(|(m, r)| *m == method && r.status() == 429);
        assert!(limited, "{method} is a write, and limited");
    }
    let limited: Vec<_> = foreign.into_iter().filter(|(_, r)| r.status() == 429).collect();
    assert!(limited.len() >= 100, "beyond a burst of 200 at 100/s: only {} limited", limited.len());
    for (_, response) in limited {
        assert_too_many_requests(response).await;
    }
    let local = write_burst(&nginx.url, client_from(Ipv4Addr::LOCALHOST)).await;
    assert!(
        local.iter().all(|(_, r)| r.status() == 401),
        "127.0.0.1 (the benchmarks, the tests) is exempt from the write limit"
    );
}

/// A write of each method, on routes that answer 401 at once without a token.
const WRITES: [(Method, &str); 4] = [
    (Method::POST, "/v1/jobs"),
    (Method::PUT, "/v1/games/tetris"),
    (Method::PATCH, "/v1/users/me"),
    (Method::DELETE, "/v1/jobs/some-job"),
];

/// 600 writes through nginx at `url`, 32 at a time, with their methods and answers.
async fn write_burst(url: &str, http: reqwest::Client) -> Vec<(Method, reqwest::Response)> {
    let requests = (0..600).map(|n| {
        let (method, path) = WRITES[n % WRITES.len()].clone();
        let sent = http.request(method.clone(), format!("{url}{path}")).send();
        async move { (method, sent.await.unwrap()) }
    });
    futures::stream::iter(requests).buffered(32).collect().await
}

async fn assert_too_many_requests(response: reqwest::Response) {
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    assert_eq!(values(response.headers(), "retry-after"), ["1"]);
    assert_edge_headers(response.headers(), CSP, "a 429");
    let request_id = response.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["type"], "/problems/429");
    assert_eq!(body["title"], "Too Many Requests");
    assert_eq!(body["status"], 429);
    assert_eq!(body["requestId"], request_id.as_str());
}

/// A policy's directives and their sources.
fn directives(policy: &str) -> std::collections::HashMap<String, Vec<String>> {
    policy
        .split(';')
        .filter_map(|directive| {
            let mut words = directive.split_whitespace();
            let name = words.next()?.to_owned();
            Some((name, words.map(str::to_owned).collect()))
        })
        .collect()
}

/// Whether a page's reference stays on the page's own origin (relative, or a path from the root).
fn same_origin(url: &str) -> bool {
    !url.contains(':') && !url.starts_with("//")
}

/// What a page loads.
#[derive(Debug)]
struct Reference {
    url: String,
    is_image: bool,
}

/// An HTML page's references and what a policy without 'unsafe-inline' would refuse in it.
#[derive(Debug, Default)]
struct Page {
    references: Vec<Reference>,
    inline: Vec<String>,
}

impl Page {
    /// Reads the tags of `html` (enough of HTML for pages written by hand: no tags inside comments).
    fn parse(html: &str) -> Self {
        let mut page = Page::default();
        let mut rest = html;
        while let Some(start) = rest.find('<') {
            rest = &rest[start + 1..];
            if let Some(comment) = rest.strip_prefix("!--") {
                rest = comment.split_once("-->").map_or("", |(_, after)| after);
                continue;
            }
            let end = tag_end(rest);
            let (tag, after) = rest.split_at(end);
            rest = after;
            if tag.starts_with(['/', '!']) {
                continue; // a closing tag, or the doctype
            }
            let name: String = tag.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
            let name = name.to_ascii_lowercase();
            let attributes = attributes(&tag[name.len()..]);
            let attribute =
                |wanted: &str| attributes.iter().find(|(n, _)| n == wanted).map(|(_, v)| v.clone());
            for (attribute_name, _) in &attributes {
                if attribute_name.starts_with("on") || attribute_name == "style" {
                    page.inline.push(format!("<{name} {attribute_name}=…>"));
                }
            }
            match name.as_str() {
                "script" => {
                    let body = rest.split_once("</script").map_or("", |(body, _)| body);
                    match attribute("src") {
                        Some(url) => page.references.push(Reference { url, is_image: false }),
                        None if !body.trim_start_matches('>').trim().is_empty() => {
                            page.inline.push("an inline <script>".to_owned());
                        }
                        None => {}
                    }
                }
                "style" => page.inline.push("a <style> element".to_owned()),
                "link" => {
                    let rel = attribute("rel").unwrap_or_default().to_ascii_lowercase();
                    if let Some(url) = attribute("href").filter(|_| rel != "canonical") {
                        page.references.push(Reference { url, is_image: rel.contains("icon") });
                    }
                }
                "img" | "source" | "iframe" | "embed" | "object" | "audio" | "video" => {
                    if let Some(url) = attribute("src").or_else(|| attribute("data")) {
                        page.references.push(Reference { url, is_image: matches!(name.as_str(), "img") });
                    }
                }
                _ => {}
            }
        }
        page
    }
}

/// Where the tag that `text` starts ends: its `>`, outside quotes.
fn tag_end(text: &str) -> usize {
    let mut quote = None;
    for (at, c) in text.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(open), _) if c == open => quote = None,
            (None, '>') => return at,
            _ => {}
        }
    }
    text.len()
}

/// A tag's attributes, names lowercased, values unquoted.
fn attributes(text: &str) -> Vec<(String, String)> {
    let mut found = vec![];
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let name_end =
            rest.find(|c: char| c.is_whitespace() || c == '=' || c == '>' || c == '/').unwrap_or(rest.len());
        let name = rest[..name_end].to_ascii_lowercase();
        rest = rest[name_end..].trim_start();
        let mut value = String::new();
        if let Some(after) = rest.strip_prefix('=') {
            let after = after.trim_start();
            let (raw, remainder) = match after.chars().next() {
                Some(quote @ ('"' | '\'')) => {
                    let inner = &after[1..];
                    let close = inner.find(quote).unwrap_or(inner.len());
                    (&inner[..close], inner.get(close + 1..).unwrap_or(""))
                }
                _ => {
                    let end = after.find(char::is_whitespace).unwrap_or(after.len());
                    after.split_at(end)
                }
            };
            value = raw.to_owned();
            rest = remainder.trim_start();
        } else if name.is_empty() {
            rest = rest.get(1..).unwrap_or("").trim_start();
        }
        if !name.is_empty() {
            found.push((name, value));
        }
    }
    found
}

#[test]
fn the_page_reader_finds_references_and_inline_code() {
    let page = Page::parse(
        r#"<link rel="stylesheet" href="style.css"><link rel=icon href="data:,">
           <!-- <script>ignored()</script> -->
           <script type="module" src="app/main.js"></script><script> run() </script>
           <img alt='a > b' src="https://www.gravatar.com/avatar/x"><button onclick="go()">go</button>
           <p style="color: red">x</p><style>p {}</style>"#,
    );
    let urls: Vec<_> = page.references.iter().map(|r| (r.url.as_str(), r.is_image)).collect();
    assert_eq!(
        urls,
        [
            ("style.css", false),
            ("data:,", true),
            ("app/main.js", false),
            ("https://www.gravatar.com/avatar/x", true)
        ]
    );
    assert_eq!(page.inline.len(), 4, "{:?}", page.inline);
}
