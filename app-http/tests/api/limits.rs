//! The server's bounds on what one client may take: a key's requests per minute (`429
//! rate_limited` with `Retry-After`, other keys unaffected) and the time a request's body may
//! take to arrive (a stalled body is refused once `http.body_timeout_secs` have passed).

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::test;
use aviary_app_http::server::app;
use aviary_domain::ports::Clock;
use aviary_domain::usecases::RequestBudget;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::common::{Resp, fixture};

#[actix_web::test]
async fn a_key_over_its_requests_per_minute_gets_429_with_retry_after_and_others_do_not() {
    let fx = fixture().await;
    let mut services = fx.services.clone();
    services.api_budget = RequestBudget::new(2, Arc::clone(&fx.clock) as Arc<dyn Clock>);
    let app = test::init_service(app(services)).await;
    for _ in 0..2 {
        assert_eq!(
            get!(fx, &app, "/api/v1/integrations").status,
            StatusCode::OK
        );
    }
    let refused = get!(fx, &app, "/api/v1/integrations");
    let message = refused.error(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    assert!(message.contains("2 requests"), "{message}");
    let retry: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");

    let other = send!(
        fx,
        &app,
        test::TestRequest::get()
            .uri("/api/v1/integrations")
            .insert_header(("Authorization", format!("Bearer {}", fx.read_key)))
    );
    assert_eq!(
        other.status,
        StatusCode::OK,
        "another key has its own budget"
    );

    fx.clock.advance(chrono::Duration::minutes(1));
    assert_eq!(
        get!(fx, &app, "/api/v1/integrations").status,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn a_body_that_stops_arriving_is_refused_after_the_body_timeout() {
    let fx = fixture().await;
    let mut services = fx.services.clone();
    services.settings.http.body_timeout_secs = 1;
    aviary_app_http::server::prepare(&services).await.unwrap();
    let bound = aviary_app_http::server::bind(services, "127.0.0.1", 0).unwrap();
    let address = bound.addrs()[0];
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(bound.run_until(async move {
        let _ = stopped.await;
    }));

    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /api/v1/integrations HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"label\":",
        fx.key
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer));
    let _ = read.await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 400") || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(5),
        "answered after {waited:?}"
    );
    assert!(!answer.contains(&fx.key));
    let _ = stop.send(());
    served.await.unwrap().unwrap();
}

#[actix_web::test]
async fn a_method_a_route_does_not_take_is_405_with_the_methods_it_does_take() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    for (uri, allow) in [
        ("/api/v1/integrations".to_owned(), "GET, POST"),
        (
            format!("/api/v1/integrations/{}", fx.integration.id),
            "GET, PATCH, DELETE",
        ),
        (
            format!("/api/v1/integrations/{}/sync", fx.integration.id),
            "POST",
        ),
        ("/api/v1/openapi.json".to_owned(), "GET"),
    ] {
        let res = send!(
            fx,
            &app,
            test::TestRequest::default()
                .method(actix_web::http::Method::TRACE)
                .uri(&uri)
                .insert_header(("Authorization", format!("Bearer {}", fx.key)))
        );
        res.error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
        assert_eq!(res.header("allow"), Some(allow), "{uri}");
    }
}
