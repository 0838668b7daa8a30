//! What a key prefix of Redis holds, as comparable JSON: a projection after crashes against a clean
//! rebuild of the same log.

use std::collections::BTreeMap;

use fred::prelude::*;
use futures::StreamExt as _;
use serde_json::Value;

/// Every document under `prefix`, by key without the prefix, with the fields that record when it was
/// written (not what it says) removed.
pub async fn documents(redis: &Client, prefix: &str) -> BTreeMap<String, Value> {
    let Some(prefix) = generation_prefix(redis, prefix).await else { return BTreeMap::new() };
    let prefix = prefix.as_str();
    let mut keys = Vec::new();
    let mut scan = redis.scan_buffered(format!("{prefix}*"), Some(1000), None);
    while let Some(key) = scan.next().await {
        keys.push(key.unwrap().into_string().unwrap());
    }
    // Many reads in flight at once: one after another, the round trips of 200,000 keys take a minute.
    futures::stream::iter(keys)
        .map(|key| async move {
            let relative = key.trim_start_matches(prefix).to_owned();
            // The projector's bookkeeping and the command side's sign-in counters are not documents.
            if relative.starts_with("projector:") || relative.starts_with("ratelimit:") {
                return None;
            }
            Some((relative, document(redis, &key).await))
        })
        .buffer_unordered(64)
        .filter_map(|entry| async move { entry })
        .collect()
        .await
}

/// The prefix of the current generation of the documents under `prefix`, if one is complete.
pub async fn generation_prefix(redis: &Client, prefix: &str) -> Option<String> {
    let control = read_model::Keys::new(prefix.to_owned());
    let current = redis_store::generations::current(redis, &control).await.ok()??;
    Some(control.generation(current).prefix().to_owned())
}

/// A key's value as JSON, with the fields that record when it was written removed.
async fn document(redis: &Client, key: &str) -> Value {
    let kind: String = redis.r#type(key).await.unwrap();
    match kind.as_str() {
        "string" => {
            let text: String = redis.get(key).await.unwrap();
            let mut value: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
            for field in ["generatedAt", "updatedAt", "finishedAt"] {
                if let Some(object) = value.as_object_mut() {
                    object.remove(field);
                }
            }
            value
        }
        "hash" => {
            serde_json::to_value(redis.hgetall::<BTreeMap<String, String>, _>(key).await.unwrap()).unwrap()
        }
        "zset" => serde_json::to_value(
            redis.zrange::<Vec<String>, _, _, _>(key, 0, -1, None, false, None, false).await.unwrap(),
        )
        .unwrap(),
        "set" => {
            let mut members: Vec<String> = redis.smembers(key).await.unwrap();
            members.sort();
            serde_json::to_value(members).unwrap()
        }
        other => Value::String(format!("unexpected type {other}")),
    }
}
