//! The Groups and Apps tabs and what links to them: every synced group with its members and a
//! link to the accounts it takes in, every installed app with its status and permissions; an
//! account page lists its groups; the accounts filter takes a group and names an unknown one
//! next to the field.

use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use aviary_app_http::server::app;
use aviary_app_http::ui::session::COOKIE;

use super::{EMAIL, PASSWORD, check, client, get, set_cookie, sign_in_request, with_admin};
use crate::common::{Fixture, Resp};

fn base(fx: &Fixture) -> String {
    format!("/admin/integrations/{}", fx.integration.id)
}

#[actix_web::test]
async fn the_groups_and_apps_tabs_list_what_the_sync_stored() {
    let fx = with_admin().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let cookie = signed_in!(&app);
    let tenant = fx.simulator.tenant();

    let res = send!(&app, get(&format!("{}/groups", base(&fx)), &cookie));
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(
        res.body.contains("aria-current=\"page\">Groups</a>"),
        "{}",
        res.body
    );
    for group in tenant.groups() {
        assert!(
            res.body.contains(&format!("id=\"group-{}\"", group.id)),
            "{}",
            group.id
        );
        assert!(
            res.body
                .contains(&format!("{}?group={}\"", base(&fx), group.id)),
            "the group links to its accounts"
        );
    }
    assert!(res.body.contains("dynamic (by rules)"), "{}", res.body);

    let res = send!(&app, get(&format!("{}/apps", base(&fx)), &cookie));
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    for sim_app in tenant.apps() {
        assert!(res.body.contains(&sim_app.app_id), "{}", sim_app.app_id);
    }
    assert!(
        res.body.contains("admin:app.info:readonly"),
        "the own app's permissions"
    );
    assert!(!res.body.contains(&fx.app_secret));
}

#[actix_web::test]
async fn an_account_lists_its_groups_and_the_accounts_filter_takes_a_group() {
    let fx = with_admin().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let cookie = signed_in!(&app);
    let group = fx
        .simulator
        .tenant()
        .groups()
        .into_iter()
        .find(|g| !g.member_user_ids.is_empty() && g.member_department_ids.is_empty())
        .unwrap();
    let member = &group.member_user_ids[0];

    let res = send!(
        &app,
        get(&format!("{}/accounts/{member}", base(&fx)), &cookie)
    );
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(
        res.body.contains(&format!("/groups#group-{}\"", group.id)),
        "the account page links its group: {}",
        res.body
    );

    let res = send!(
        &app,
        get(&format!("{}?group={}", base(&fx), group.id), &cookie)
    );
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let rows = res.body.matches("<tr class=\"").count() + res.body.matches("<tr>").count();
    assert!(rows > group.member_user_ids.len(), "header and member rows");
    for user in &group.member_user_ids {
        assert!(
            res.body.contains(&format!("/accounts/{user}\"")),
            "{user} is listed"
        );
    }
    assert!(
        res.body
            .contains(&format!("<option value=\"{}\" selected>", group.id)),
        "the group stays chosen"
    );

    let res = send!(&app, get(&format!("{}?group=nobody", base(&fx)), &cookie));
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(
        res.body.contains("There is no user group \"nobody\"")
            || res
                .body
                .contains("There is no user group &quot;nobody&quot;")
            || res.body.contains("There is no user group &#34;nobody&#34;"),
        "{}",
        res.body
    );
}
