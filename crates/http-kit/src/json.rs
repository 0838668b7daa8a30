//! JSON request bodies with the errors API.md promises: 415 not JSON, 413 too large, 400 malformed,
//! 422 a field of the wrong type (named), or text holding U+0000 (named).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;

use crate::ApiError;

/// A JSON body deserialized into `T`.
#[derive(Debug, Clone)]
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(&request) {
            return Err(ApiError::UnsupportedMediaType(
                "the body must be JSON, sent with Content-Type: application/json".to_owned(),
            ));
        }
        let bytes = Bytes::from_request(request, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge("the body is larger than this route accepts".to_owned())
            } else {
                ApiError::BadRequest("the body could not be read".to_owned())
            }
        })?;
        parse(&bytes).map(JsonBody)
    }
}

/// Parses JSON bytes: 400 when they are not JSON at all, 422 naming the field that has the wrong shape.
/// Every body is an object: serde would also read a struct from an array of its fields, in order,
/// which no document describes.
///
/// Text the route reads may not hold U+0000 (the document's patterns say so): Postgres keeps no
/// such character in text or in the event log's `jsonb`, so it is refused here, as a 422 naming the
/// field, rather than deep in a write. Fields the route ignores may hold anything.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|error| ApiError::BadRequest(format!("the body is not well-formed JSON: {error}")))?;
    if !value.is_object() {
        return Err(ApiError::invalid("body", "must be a JSON object"));
    }
    let mut ignored = Vec::new();
    let mut skipped = |path: serde_ignored::Path| ignored.push(segments(&path));
    let read = serde_ignored::Deserializer::new(&value, &mut skipped);
    let typed = serde_path_to_error::deserialize(read).map_err(|error| {
        let field = match error.path().to_string() {
            path if path == "." => "body".to_owned(),
            path => path,
        };
        ApiError::invalid(&field, error.into_inner().to_string())
    })?;
    let mut holding_nul = Vec::new();
    find_nul(&value, &mut Vec::new(), &mut holding_nul);
    match holding_nul.into_iter().find(|path| !ignored.iter().any(|skipped| path.starts_with(skipped))) {
        Some(path) => Err(ApiError::invalid(&field_name(&path), "must not hold the character U+0000")),
        None => Ok(typed),
    }
}

/// One step into a JSON value: an object's key or an array's index.
#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Key(String),
    Index(usize),
}

/// The steps from the body to a field serde skipped.
fn segments(path: &serde_ignored::Path) -> Vec<Segment> {
    use serde_ignored::Path;
    match path {
        Path::Root => Vec::new(),
        Path::Seq { parent, index } => [segments(parent), vec![Segment::Index(*index)]].concat(),
        Path::Map { parent, key } => [segments(parent), vec![Segment::Key(key.clone())]].concat(),
        Path::Some { parent } | Path::NewtypeStruct { parent } | Path::NewtypeVariant { parent } => {
            segments(parent)
        }
    }
}

/// Every place in `value` where a string or an object's key holds U+0000.
fn find_nul(value: &serde_json::Value, at: &mut Vec<Segment>, found: &mut Vec<Vec<Segment>>) {
    match value {
        serde_json::Value::String(text) if text.contains('\0') => found.push(at.clone()),
        serde_json::Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                at.push(Segment::Index(index));
                find_nul(item, at, found);
                at.pop();
            }
        }
        serde_json::Value::Object(fields) => {
            for (key, item) in fields {
                at.push(Segment::Key(key.clone()));
                if key.contains('\0') {
                    found.push(at.clone());
                } else {
                    find_nul(item, at, found);
                }
                at.pop();
            }
        }
        _ => {}
    }
}

/// A path as problem bodies name fields: `payload.tags[2]`.
fn field_name(path: &[Segment]) -> String {
    let mut name = String::new();
    for segment in path {
        match segment {
            Segment::Key(key) if name.is_empty() => name.push_str(&key.replace('\0', "\\u0000")),
            Segment::Key(key) => name.push_str(&format!(".{}", key.replace('\0', "\\u0000"))),
            Segment::Index(index) => name.push_str(&format!("[{index}]")),
        }
    }
    name
}

fn is_json(request: &Request) -> bool {
    let Some(content_type) = request.headers().get(header::CONTENT_TYPE) else { return false };
    let Ok(content_type) = content_type.to_str() else { return false };
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Job {
        message: String,
        payload: Option<serde_json::Value>,
    }

    fn refused_field(body: &str) -> Option<String> {
        match parse::<Job>(body.as_bytes()) {
            Err(ApiError::Invalid(errors)) => Some(errors[0].field.clone()),
            Err(other) => panic!("{other:?}"),
            Ok(_) => None,
        }
    }

    #[test]
    fn text_holding_u0000_is_refused_naming_its_field() {
        assert_eq!(refused_field(r#"{"message": "a\u0000b"}"#).as_deref(), Some("message"));
        let nested = r#"{"message": "m", "payload": {"tags": ["x", "\u0000"]}}"#;
        assert_eq!(refused_field(nested).as_deref(), Some("payload.tags[1]"));
        let key = r#"{"message": "m", "payload": {"a\u0000": 1}}"#;
        assert_eq!(refused_field(key).as_deref(), Some("payload.a\\u0000"));
    }

    #[test]
    fn a_field_the_route_ignores_may_hold_u0000() {
        assert_eq!(refused_field(r#"{"message": "m", "extra": "\u0000", "more": {"\u0000": 1}}"#), None);
        assert_eq!(refused_field(r#"{"message": "m"}"#), None);
    }
}
