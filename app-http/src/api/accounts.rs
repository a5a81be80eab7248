//! `GET /api/v1/integrations/{id}/accounts` (filters, sorting, keyset pages, JSON or CSV) and
//! `GET /api/v1/integrations/{id}/accounts/{open_id}` (with its change history).

use actix_web::{HttpResponse, web};
use aviary_domain::model::{AccountCursor, AccountStatus, Role};
use aviary_domain::usecases::AccountFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, Body as ErrorBody};
use super::integrations::resolve;
use super::openapi::SharedErrors;
use super::params;
use aviary_views::csv::{ACCOUNT_HEADER, account_row};
use aviary_views::schema::{self, text_enum};
use aviary_views::{
    AccountView, AccountWithHistoryView, ChangeView, GroupRef, found_department_names,
    named_departments,
};
use aviary_wiring::Services;

const DEFAULT_LIMIT: u64 = 50;

/// Query parameters as sent; parsed one by one so an error can name its parameter.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only accounts in this status.
    #[param(value_type = Option<schema::AccountStatus>)]
    status: Option<String>,
    /// Only accounts with this role.
    #[param(value_type = Option<schema::Role>)]
    role: Option<String>,
    /// A department id, custom id or name; matches its sub-departments too.
    department: Option<String>,
    /// A user group's id, custom group id or name: its user members and everyone in its
    /// member departments (and below them).
    group: Option<String>,
    /// Text in names, emails, mobile, user id or employee number, or a whole open or union id.
    search: Option<String>,
    /// `true`: accounts removed from the tenant too.
    #[param(value_type = Option<bool>, default = false)]
    include_removed: Option<String>,
    /// The order; every order ends with `open_id`, so it is total.
    #[param(value_type = Option<schema::SortKey>, default = "open_id")]
    sort: Option<String>,
    #[param(value_type = Option<SortOrder>, default = "asc")]
    order: Option<String>,
    /// Page size.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 500, default = 50)]
    limit: Option<String>,
    /// The `next_cursor` of the previous page (opaque), valid with the same `sort` and
    /// `order` only; left out: the first page.
    cursor: Option<String>,
    /// `csv`: the CLI's CSV columns as `text/csv`, the next page's cursor in `X-Next-Cursor`.
    #[param(value_type = Option<Format>, default = "json")]
    format: Option<String>,
}

text_enum!(
    /// The direction of `sort`.
    SortOrder = ["asc", "desc"]
);

/// A page of accounts.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AccountsPage)]
struct Page {
    items: Vec<AccountView>,
    /// The next page's cursor; null on the last page.
    #[schema(required)]
    next_cursor: Option<String>,
}

/// How a page of accounts is answered.
#[derive(ToSchema)]
#[schema(as = AccountsFormat, rename_all = "lowercase")]
pub(super) enum Format {
    Json,
    Csv,
}

fn format(raw: Option<&str>) -> Result<Format, ApiError> {
    match raw.map(str::trim) {
        None | Some("json") => Ok(Format::Json),
        Some("csv") => Ok(Format::Csv),
        Some(_) => Err(ApiError::invalid_parameter(
            "format",
            "expected json or csv",
        )),
    }
}

/// An integration's accounts
///
/// Filtered, sorted and paged by keyset (a deep page costs what the first does), as JSON or
/// CSV.
#[utoipa::path(
    get,
    path = "/api/v1/integrations/{integration}/accounts",
    operation_id = "list_accounts",
    tag = "accounts",
    params(
        ("integration" = String, Path,
            description = "The integration's id (a UUID) or its label"),
        ListParams,
    ),
    responses(
        (status = 200, description = "A page of accounts",
            content((Page = "application/json"), (String = "text/csv")),
            headers(("X-Next-Cursor" = String, description = "`format=csv` only: the next \
                page's cursor; absent on the last page"))),
        (status = 400, description = "`invalid_parameter` (the message names it), \
            `unknown_department` or `unknown_group`", body = ErrorBody),
        (status = 404, description = "`integration_not_found`", body = ErrorBody),
        SharedErrors,
    )
)]
pub async fn list(
    services: web::Data<Services>,
    path: web::Path<String>,
    query: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let filter = AccountFilter {
        status: params::choice::<AccountStatus>("status", q.status.as_deref())?,
        role: params::choice::<Role>("role", q.role.as_deref())?,
        department: q.department,
        group: q.group,
        search: q.search,
        include_removed: params::flag("include_removed", q.include_removed.as_deref())?,
        sort: params::sort(q.sort.as_deref(), q.order.as_deref())?,
    };
    let limit = params::limit(q.limit.as_deref(), DEFAULT_LIMIT)?;
    let after = q.cursor.as_deref().map(params::decode_cursor).transpose()?;
    let format = format(q.format.as_deref())?;
    let integration = resolve(&services, &path).await?;

    // One more than asked tells whether another page follows.
    let mut accounts = services
        .queries
        .accounts_page(integration.id, &filter, after, Some(limit + 1))
        .await?;
    let more = accounts.len() as u64 > limit;
    accounts.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next_cursor = more
        .then(|| accounts.last())
        .flatten()
        .map(|a| aviary_views::cursor::encode(&AccountCursor::after(filter.sort, a)));
    let names = found_department_names(
        services
            .queries
            .department_names(integration.id, &named_departments(&accounts))
            .await?,
    );
    let items: Vec<AccountView> = accounts
        .iter()
        .map(|a| AccountView::new(a, &names))
        .collect();
    match format {
        Format::Json => Ok(HttpResponse::Ok().json(Page { items, next_cursor })),
        Format::Csv => {
            let mut body = Vec::new();
            aviary_views::csv::write(&mut body, ACCOUNT_HEADER, items.iter().map(account_row))
                .map_err(|e| {
                    tracing::error!(error = %e, "cannot write CSV");
                    ApiError::internal()
                })?;
            let mut response = HttpResponse::Ok();
            response.content_type("text/csv; charset=utf-8");
            if let Some(cursor) = next_cursor {
                response.insert_header(("X-Next-Cursor", cursor));
            }
            Ok(response.body(body))
        }
    }
}

/// One account with its change history
///
/// Removed accounts too.
#[utoipa::path(
    get,
    path = "/api/v1/integrations/{integration}/accounts/{open_id}",
    operation_id = "show_account",
    tag = "accounts",
    params(
        ("integration" = String, Path,
            description = "The integration's id (a UUID) or its label"),
        ("open_id" = String, Path, description = "The account's `open_id`"),
    ),
    responses(
        (status = 200, description = "The account", body = AccountWithHistoryView),
        (status = 404, description = "`integration_not_found` or `account_not_found`",
            body = ErrorBody),
        SharedErrors,
    )
)]
pub async fn show(
    services: web::Data<Services>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (integration, open_id) = path.into_inner();
    let integration = resolve(&services, &integration).await?;
    let found = services.queries.account(integration.id, &open_id).await?;
    let groups = services.queries.account_groups(&found.account).await?;
    let names = found_department_names(
        services
            .queries
            .department_names(
                integration.id,
                &named_departments(std::iter::once(&found.account)),
            )
            .await?,
    );
    Ok(HttpResponse::Ok().json(AccountWithHistoryView {
        integration_id: integration.id.to_string(),
        account: AccountView::new(&found.account, &names),
        groups: groups.iter().map(GroupRef::from).collect(),
        history: found.history.iter().map(ChangeView::from).collect(),
    }))
}
