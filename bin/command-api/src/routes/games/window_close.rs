//! `onWindowClose` as sent: an object with `url` and `top`, checked field by field.

use domain::errors::FieldErrors;
use domain::scores::{CallbackTop, CallbackUrl, OnWindowClose};

use super::whole_number;

/// The callback `sent` asks for, or `None` with its errors added to `errors` (under
/// `onWindowClose`, `onWindowClose.url` and `onWindowClose.top`). The URL must be one the `webhook`
/// kind may call: its allow-list decides, as for queued webhook jobs.
pub(super) fn parse(
    sent: &serde_json::Value,
    webhook: &job_kinds::Webhook,
    errors: &mut FieldErrors,
) -> Option<OnWindowClose> {
    let Some(fields) = sent.as_object() else {
        errors.push("onWindowClose", "must be an object with url and top, or null");
        return None;
    };
    let url = errors.check("onWindowClose.url", url(fields.get("url"), webhook));
    let top = errors.check(
        "onWindowClose.top",
        match fields.get("top") {
            None | Some(serde_json::Value::Null) => Err("is required".to_owned()),
            Some(serde_json::Value::Number(top)) => CallbackTop::new(whole_number(top).unwrap_or(-1)),
            Some(_) => Err(format!("must be a whole number from 1 to {}", CallbackTop::MAX)),
        },
    );
    Some(OnWindowClose { url: url?, top: top? })
}

fn url(sent: Option<&serde_json::Value>, webhook: &job_kinds::Webhook) -> Result<CallbackUrl, String> {
    match sent {
        None | Some(serde_json::Value::Null) => Err("is required".to_owned()),
        Some(serde_json::Value::String(url)) => {
            let url = CallbackUrl::parse(url)?;
            webhook.callable(url.as_str())?;
            Ok(url)
        }
        Some(_) => Err("must be an absolute http(s) URL".to_owned()),
    }
}
