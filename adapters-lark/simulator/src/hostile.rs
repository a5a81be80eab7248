//! Answers of a hostile upstream (`FaultSettings::hostile`): bodies too big to read, bodies that
//! trickle in, page tokens that come round again, and rate-limit resets of a minute. Not Lark
//! behaviour; the adversarial suite syncs against them.

use std::time::Duration;

use actix_web::HttpResponse;
use actix_web::web::Bytes;
use serde_json::Value;

use super::faults::Hostile;
use super::gateway::{JSON, respond};
use super::params::Params;

/// 16 MiB: four times what Aviary reads of an answer.
const HUGE: usize = 16 * 1024 * 1024;

/// The answer to a data request whose real success body is `body`.
pub(crate) fn answer(
    hostile: Hostile,
    log_id: &str,
    params: &Params,
    body: Vec<u8>,
) -> HttpResponse {
    match hostile {
        Hostile::HugeBodies => respond(200, log_id, JSON, huge(), &[]),
        Hostile::SlowBodies => trickle(body),
        Hostile::CyclingPageTokens => respond(200, log_id, JSON, cycling(params, body), &[]),
        // Answered before the handler runs (see `gateway::serve`).
        Hostile::LongRateLimitResets => respond(200, log_id, JSON, body, &[]),
    }
}

/// Valid JSON as far as anyone reads it: a list that never ends within 16 MiB.
fn huge() -> Vec<u8> {
    let mut body = br#"{"code":0,"msg":"success","data":{"has_more":false,"items":["#.to_vec();
    let item = br#"{"open_id":"ou_0000000000000000000000000000000","name":"x"},"#;
    while body.len() < HUGE {
        body.extend_from_slice(item);
    }
    body.extend_from_slice(br#"{}]}}"#);
    body
}

/// The body, one byte every 100 ms.
fn trickle(body: Vec<u8>) -> HttpResponse {
    let bytes = futures::stream::unfold((body, 0usize), |(body, at)| async move {
        if at >= body.len() {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let chunk = Bytes::copy_from_slice(&body[at..=at]);
        Some((Ok::<_, std::io::Error>(chunk), (body, at + 1)))
    });
    HttpResponse::Ok().content_type(JSON).streaming(bytes)
}

/// A paged answer that always has more, its token alternating between two values.
fn cycling(params: &Params, body: Vec<u8>) -> Vec<u8> {
    let Ok(mut json) = serde_json::from_slice::<Value>(&body) else {
        return body;
    };
    let Some(data) = json.get_mut("data").and_then(Value::as_object_mut) else {
        return body;
    };
    if !data.contains_key("has_more") {
        return body;
    }
    let next = if params.get("page_token") == Some("cycle-a") {
        "cycle-b"
    } else {
        "cycle-a"
    };
    data.insert("has_more".to_owned(), Value::Bool(true));
    data.insert("page_token".to_owned(), Value::String(next.to_owned()));
    serde_json::to_vec(&json).unwrap_or(body)
}
