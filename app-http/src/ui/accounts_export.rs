//! `GET /admin/integrations/{id}/accounts.csv`: the accounts the integration page lists (same
//! filters, same order) as CSV with the CLI's columns (`views/csv.rs`), streamed in keyset
//! chunks so that a large export never sits in memory whole. A form with errors is sent back to
//! the page, which shows them.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use aviary_domain::model::{AccountCursor, UserAccount};
use aviary_domain::usecases::{AccountFilter, QueriesError};
use aviary_domain::values::IntegrationId;

use super::accounts_form;
use super::browse;
use super::error::UiError;
use aviary_views::csv::{ACCOUNT_HEADER, account_row, write, write_rows};
use aviary_views::{AccountView, DepartmentNames, outline_names};
use aviary_wiring::Services;

/// Accounts read per query while streaming.
const CHUNK: u64 = 500;

/// CSV bytes of one chunk and the position the next chunk starts after (none: the last one).
type Chunk = Result<(Bytes, Option<AccountCursor>), QueriesError>;

/// What every chunk needs.
struct Export {
    services: Services,
    integration: IntegrationId,
    filter: AccountFilter,
    names: DepartmentNames,
}

impl Export {
    async fn chunk(self: Rc<Self>, after: Option<AccountCursor>, header: bool) -> Chunk {
        let accounts = self
            .services
            .queries
            .accounts_page(self.integration, &self.filter, after, Some(CHUNK))
            .await?;
        let next = (accounts.len() as u64 == CHUNK)
            .then(|| accounts.last())
            .flatten()
            .map(|last| AccountCursor::after(self.filter.sort, last));
        Ok((self.csv(&accounts, header), next))
    }

    fn csv(&self, accounts: &[UserAccount], header: bool) -> Bytes {
        let rows = accounts
            .iter()
            .map(|a| account_row(&AccountView::new(a, &self.names)));
        let mut out = Vec::new();
        let written = if header {
            write(&mut out, ACCOUNT_HEADER, rows)
        } else {
            write_rows(&mut out, rows)
        };
        if let Err(err) = written {
            // Writing to a Vec fails only on a CSV encoding fault; the part is left out.
            tracing::error!(error = %err, "cannot write CSV");
        }
        Bytes::from(out)
    }
}

/// The response body: the first chunk (read before answering, so that its errors can still
/// become a page), then one query per further chunk, each only when the client takes more.
struct ExportBody {
    export: Rc<Export>,
    ready: Option<Bytes>,
    next: Option<AccountCursor>,
    pending: Option<Pin<Box<dyn Future<Output = Chunk>>>>,
}

impl std::fmt::Debug for ExportBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportBody").finish_non_exhaustive()
    }
}

impl MessageBody for ExportBody {
    type Error = std::io::Error;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let this = self.get_mut();
        if let Some(bytes) = this.ready.take() {
            return Poll::Ready(Some(Ok(bytes)));
        }
        if this.pending.is_none() {
            let Some(after) = this.next.take() else {
                return Poll::Ready(None);
            };
            this.pending = Some(Box::pin(Rc::clone(&this.export).chunk(Some(after), false)));
        }
        let Some(pending) = this.pending.as_mut() else {
            return Poll::Ready(None);
        };
        match pending.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(result) => {
                this.pending = None;
                match result {
                    Ok((bytes, next)) => {
                        this.next = next;
                        Poll::Ready(Some(Ok(bytes)))
                    }
                    Err(err) => {
                        tracing::error!(error = %err, "an accounts export stopped part-way");
                        Poll::Ready(Some(Err(std::io::Error::other("the export failed"))))
                    }
                }
            }
        }
    }
}

/// A file name from the label: letters, digits, `-` and `_` only.
fn file_name(label: &str) -> String {
    let safe: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("{safe}-accounts.csv")
}

pub async fn download(
    services: web::Data<Services>,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, UiError> {
    let integration = browse::integration(&services, &path).await?;
    let parsed = accounts_form::parse(req.query_string());
    let back_to_the_form = || {
        let query = req.query_string();
        let location = if query.is_empty() {
            format!("/admin/integrations/{}", integration.id)
        } else {
            format!("/admin/integrations/{}?{query}", integration.id)
        };
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, location))
            .finish()
    };
    if parsed.errors.in_filters() {
        return Ok(back_to_the_form());
    }
    let export = Rc::new(Export {
        names: outline_names(
            &services
                .queries
                .department_outlines(integration.id, true)
                .await?,
        ),
        services: services.get_ref().clone(),
        integration: integration.id,
        filter: parsed.filter,
    });
    let (first, next) = match Rc::clone(&export).chunk(None, true).await {
        Ok(chunk) => chunk,
        Err(QueriesError::UnknownDepartment(_) | QueriesError::UnknownGroupFilter(_)) => {
            return Ok(back_to_the_form());
        }
        Err(other) => return Err(other.into()),
    };
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"{}\"",
                file_name(integration.label.as_str())
            ),
        ))
        .body(ExportBody {
            export,
            ready: Some(first),
            next,
            pending: None,
        }))
}

#[cfg(test)]
mod tests {
    use super::file_name;

    #[test]
    fn file_names_keep_only_safe_characters() {
        assert_eq!(file_name("acme"), "acme-accounts.csv");
        assert_eq!(file_name("Acme \"EU\"/1"), "Acme--EU--1-accounts.csv");
    }
}
