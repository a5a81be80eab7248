//! A request's body must arrive within `http.body_timeout_secs` of its head: a client that
//! trickles a body byte by byte (or stops sending it) holds a connection only that long. The
//! body stream ends with an I/O "timed out" error, which the extractors answer as a refused
//! body (`400 invalid_body` in the API, the bad-form page in the UI).

use std::io;
use std::pin::Pin;
use std::time::Duration;

use actix_web::HttpMessage as _;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use futures::{Stream, StreamExt as _};
use tokio::time::{Instant, timeout_at};

use aviary_wiring::Services;

/// Middleware for every request: bounds the time its body may take to arrive.
pub async fn body_deadline(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let secs = req
        .app_data::<web::Data<Services>>()
        .map_or(30, |services| services.settings.http.body_timeout_secs);
    let deadline = Instant::now() + Duration::from_secs(secs);
    let body = req.take_payload();
    req.set_payload(Payload::from(within(body, deadline)));
    next.call(req).await
}

/// `body`'s chunks until `deadline`, then one timeout error and the end.
fn within(
    body: Payload,
    deadline: Instant,
) -> Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> {
    let chunks = futures::stream::unfold(Some(body), move |body| async move {
        let mut body = body?;
        match timeout_at(deadline, body.next()).await {
            Ok(Some(chunk)) => Some((chunk, Some(body))),
            Ok(None) => None,
            Err(_) => {
                let late = io::Error::new(io::ErrorKind::TimedOut, "the body took too long");
                Some((Err(PayloadError::Io(late)), None))
            }
        }
    });
    Box::pin(chunks)
}
