//! Sorted account listings through the API: every key both ways agrees with the use case, the
//! pages of a sorted listing join up, and a cursor offered for another order is a 400.

use actix_web::http::StatusCode;
use actix_web::test;
use aviary_app_http::server::app;
use aviary_domain::model::{AccountSort, SortKey};
use aviary_domain::usecases::AccountFilter;

use super::{Resp, base, fixture, open_ids};

#[actix_web::test]
async fn every_sort_agrees_with_the_use_case_and_its_pages_join_up() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    for key in SortKey::ALL {
        for descending in [false, true] {
            let sort = AccountSort {
                key: *key,
                descending,
            };
            let order = sort.direction();
            let filter = AccountFilter {
                sort,
                include_removed: true,
                ..AccountFilter::default()
            };
            let expected: Vec<String> = fx
                .services
                .queries
                .accounts(fx.integration.id, &filter)
                .await
                .unwrap()
                .iter()
                .map(|a| a.state.profile.open_id.to_string())
                .collect();
            assert_eq!(expected.len(), 40);
            let query = format!("sort={key}&order={order}&include_removed=true");
            let full = get!(
                fx,
                &app,
                format!("{}/accounts?{query}&limit=500", base(&fx))
            );
            assert_eq!(full.status, StatusCode::OK, "{}", full.body);
            assert_eq!(open_ids(&full.json()["items"]), expected, "{sort}");

            let mut walked = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let uri = match &cursor {
                    None => format!("{}/accounts?{query}&limit=7", base(&fx)),
                    Some(c) => format!("{}/accounts?{query}&limit=7&cursor={c}", base(&fx)),
                };
                let page = get!(fx, &app, uri).json();
                walked.extend(open_ids(&page["items"]));
                match page["next_cursor"].as_str() {
                    Some(next) => cursor = Some(next.to_owned()),
                    None => break,
                }
            }
            assert_eq!(walked, expected, "{sort} in pages of 7");
        }
    }
    // By name, case-insensitively, as documented.
    let by_name = get!(
        fx,
        &app,
        format!("{}/accounts?sort=name&limit=500", base(&fx))
    )
    .json();
    let names: Vec<String> = by_name["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap_or_default().to_lowercase())
        .collect();
    assert!(names.windows(2).all(|w| w[0] <= w[1]), "{names:?}");
    // The CSV export follows the same order.
    let csv = get!(
        fx,
        &app,
        format!(
            "{}/accounts?sort=updated&order=desc&format=csv&limit=500",
            base(&fx)
        )
    );
    let json = get!(
        fx,
        &app,
        format!("{}/accounts?sort=updated&order=desc&limit=500", base(&fx))
    );
    let csv_ids: Vec<String> = csv::Reader::from_reader(csv.body.as_bytes())
        .records()
        .map(|r| r.unwrap()[0].to_owned())
        .collect();
    assert_eq!(csv_ids, open_ids(&json.json()["items"]));
}

#[actix_web::test]
async fn a_cursor_for_another_order_is_a_400_naming_the_cursor() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let accounts = format!("{}/accounts", base(&fx));
    let first = get!(fx, &app, format!("{accounts}?sort=name&limit=5")).json();
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    assert_eq!(
        get!(
            fx,
            &app,
            format!("{accounts}?sort=name&limit=5&cursor={cursor}")
        )
        .status,
        StatusCode::OK
    );
    for other in ["", "sort=email&", "sort=name&order=desc&", "sort=open_id&"] {
        let message = get!(
            fx,
            &app,
            format!("{accounts}?{other}limit=5&cursor={cursor}")
        )
        .error(StatusCode::BAD_REQUEST, "invalid_parameter");
        assert!(message.contains("`cursor`"), "{other}: {message}");
        assert!(message.contains("sorted by name asc"), "{other}: {message}");
    }
    for (query, parameter) in [("sort=size", "sort"), ("order=up", "order")] {
        let message = get!(fx, &app, format!("{accounts}?{query}"))
            .error(StatusCode::BAD_REQUEST, "invalid_parameter");
        assert!(message.contains(&format!("`{parameter}`")), "{message}");
    }
}
