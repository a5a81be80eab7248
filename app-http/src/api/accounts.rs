//! `GET /api/v1/integrations/{id}/accounts` (filters, sorting, keyset pages, JSON or CSV) and
//! `GET /api/v1/integrations/{id}/accounts/{open_id}` (with its change history).

use actix_web::{HttpResponse, web};
use aviary_domain::model::{AccountCursor, AccountStatus, Role};
use aviary_domain::usecases::AccountFilter;
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::integrations::resolve;
use super::params;
use crate::views::csv::{ACCOUNT_HEADER, account_row};
use crate::views::{AccountView, AccountWithHistoryView, ChangeView, department_names};
use crate::wiring::Services;

const DEFAULT_LIMIT: u64 = 50;

/// Query parameters as sent; parsed one by one so an error can name its parameter.
#[derive(Debug, Deserialize)]
pub struct ListParams {
    status: Option<String>,
    role: Option<String>,
    department: Option<String>,
    search: Option<String>,
    include_removed: Option<String>,
    sort: Option<String>,
    order: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
    format: Option<String>,
}

#[derive(Debug, Serialize)]
struct Page {
    items: Vec<AccountView>,
    next_cursor: Option<String>,
}

enum Format {
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
        .map(|a| crate::views::cursor::encode(&AccountCursor::after(filter.sort, a)));
    let names = department_names(&services.queries.departments(integration.id, true).await?);
    let items: Vec<AccountView> = accounts
        .iter()
        .map(|a| AccountView::new(a, &names))
        .collect();
    match format {
        Format::Json => Ok(HttpResponse::Ok().json(Page { items, next_cursor })),
        Format::Csv => {
            let mut body = Vec::new();
            crate::views::csv::write(&mut body, ACCOUNT_HEADER, items.iter().map(account_row))
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

pub async fn show(
    services: web::Data<Services>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (integration, open_id) = path.into_inner();
    let integration = resolve(&services, &integration).await?;
    let found = services.queries.account(integration.id, &open_id).await?;
    let names = department_names(&services.queries.departments(integration.id, true).await?);
    Ok(HttpResponse::Ok().json(AccountWithHistoryView {
        integration_id: integration.id.to_string(),
        account: AccountView::new(&found.account, &names),
        history: found.history.iter().map(ChangeView::from).collect(),
    }))
}
