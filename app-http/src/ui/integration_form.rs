//! Adding and editing integrations in the web UI: `GET /admin/integrations/new` with
//! `POST /admin/integrations` (register, checking the credentials with Lark unless told not
//! to), and `GET|POST /admin/integrations/{id}/edit` (label and sync schedule). Every problem
//! is shown next to its field with the other values kept; the App Secret is never sent back.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use aviary_domain::model::{Integration, Region};
use aviary_domain::ports::DirectoryError;
use aviary_domain::usecases::{
    IntegrationChanges, NewIntegration, RegisterError, UpdateError, UpdateIntegration,
};
use aviary_domain::values::{IntegrationId, Patch, SyncInterval};
use secrecy::SecretString;
use serde::Deserialize;

use super::error::UiError;
use super::pages::{ASSET_VERSION, Chrome, render};
use super::session::{SignedIn, see_other};
use aviary_wiring::Services;

/// `Some` trimmed text, `None` when blank.
fn filled(text: &str) -> Option<&str> {
    Some(text.trim()).filter(|t| !t.is_empty())
}

/// A domain message as a sentence for the page: capital first letter, final full stop.
pub(super) fn sentence(message: impl std::fmt::Display) -> String {
    let text = message.to_string();
    let mut chars = text.chars();
    let mut out: String = chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

fn label_taken() -> String {
    "Another integration already has this label. Choose another.".to_owned()
}

/// The interval field's text: empty means on demand only.
enum IntervalInput {
    OnDemand,
    Minutes(i64),
    NotANumber,
}

impl IntervalInput {
    fn parse(text: &str) -> Self {
        match filled(text) {
            None => Self::OnDemand,
            Some(number) => number.parse().map_or(Self::NotANumber, Self::Minutes),
        }
    }

    fn not_a_number() -> String {
        format!(
            "Enter a whole number of minutes from {} to {}, or leave it empty to sync on demand only.",
            SyncInterval::MIN_MINUTES,
            SyncInterval::MAX_MINUTES
        )
    }
}

/// The interval as the form shows it: empty for on demand.
fn interval_text(minutes: Option<u32>) -> String {
    minutes.map(|m| m.to_string()).unwrap_or_default()
}

// ---- adding ----------------------------------------------------------------------------------

/// What the add form sends. Every field defaults to empty so that a missing one is a field
/// error, not a broken form.
#[derive(Deserialize)]
pub struct AddForm {
    #[serde(default)]
    label: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    app_id: String,
    #[serde(default)]
    app_secret: Option<SecretString>,
    #[serde(default)]
    base_url: String,
    #[serde(default)]
    sync_interval_minutes: String,
    /// The "Skip the credential check" checkbox: present only when ticked.
    #[serde(default)]
    skip_verify: Option<String>,
}

/// Problems of the add form, one per field, and one for the whole form.
#[derive(Debug, Default)]
pub struct AddErrors {
    pub form: Option<String>,
    pub label: Option<String>,
    pub region: Option<String>,
    pub app_id: Option<String>,
    pub app_secret: Option<String>,
    pub base_url: Option<String>,
    pub sync_interval: Option<String>,
}

impl AddErrors {
    fn any(&self) -> bool {
        self.form.is_some()
            || self.label.is_some()
            || self.region.is_some()
            || self.app_id.is_some()
            || self.app_secret.is_some()
            || self.base_url.is_some()
            || self.sync_interval.is_some()
    }

    /// Puts a registration problem where it belongs; `Err` for failures that are not the
    /// form's (the store), which become an error page.
    fn record(&mut self, err: RegisterError) -> Result<(), UiError> {
        match err {
            RegisterError::Label(problem) => self.label = Some(sentence(problem)),
            RegisterError::AppId(problem) => self.app_id = Some(sentence(problem)),
            RegisterError::EmptySecret => {
                self.app_secret = Some("Enter the App Secret of the app.".to_owned());
            }
            RegisterError::BaseUrl(_) => {
                self.base_url = Some(
                    "Enter a URL starting with http:// or https:// and a host, without a user, \
                     query or fragment — or leave it empty to use Lark's own hosts."
                        .to_owned(),
                );
            }
            RegisterError::BaseUrlRefused(refusal) => self.base_url = Some(sentence(refusal)),
            RegisterError::SyncInterval(problem) => self.sync_interval = Some(sentence(problem)),
            RegisterError::LabelTaken(_) => self.label = Some(label_taken()),
            RegisterError::Verification(directory) => {
                self.form = Some(verification_words(&directory));
            }
            RegisterError::Store(store) => return Err(store.into()),
        }
        Ok(())
    }
}

/// Why Lark did not accept the credentials, in plain words (details are logged).
fn verification_words(err: &DirectoryError) -> String {
    const SKIP: &str = "Nothing was added. To add the integration without this check, tick \
                        \u{201c}Skip the credential check\u{201d}.";
    match err {
        DirectoryError::InvalidCredentials { detail } => {
            tracing::info!(%detail, "Lark rejected new app credentials");
            "Lark rejected the App ID or App Secret. Check both in the Lark developer console, \
             and that the app is enabled. Nothing was added."
                .to_owned()
        }
        DirectoryError::MissingScope { .. } | DirectoryError::NoAuthority { .. } => {
            format!("Lark did not let the app read its tenant: {err}. {SKIP}")
        }
        DirectoryError::BaseUrlRefused(refusal) => format!("Nothing was added: {refusal}."),
        DirectoryError::RateLimited { .. } | DirectoryError::Unavailable { .. } => {
            tracing::warn!(error = %err, "Lark unavailable while checking new credentials");
            format!(
                "Lark could not be reached to check the credentials. Try again in a moment. {SKIP}"
            )
        }
        DirectoryError::InvalidResponse { .. } | DirectoryError::Api { .. } => {
            tracing::warn!(error = %err, "Lark failed while checking new credentials");
            format!("Lark answered the credential check with an error: {err}. {SKIP}")
        }
    }
}

/// One choice of the region select.
#[derive(Debug)]
pub struct RegionOption {
    pub value: &'static str,
    pub name: &'static str,
    pub selected: bool,
}

fn region_options(selected: &str) -> Vec<RegionOption> {
    [
        (Region::Lark, "Lark (larksuite.com)"),
        (Region::Feishu, "Feishu (feishu.cn)"),
    ]
    .into_iter()
    .map(|(region, name)| RegionOption {
        value: region.as_str(),
        name,
        selected: region.as_str() == selected,
    })
    .collect()
}

#[derive(Debug, Template)]
#[template(path = "integration_new.html")]
pub struct AddPage {
    pub chrome: Option<Chrome>,
    pub asset_version: &'static str,
    pub csrf_token: String,
    pub label: String,
    pub regions: Vec<RegionOption>,
    pub app_id: String,
    pub base_url: String,
    pub sync_interval: String,
    pub skip_verify: bool,
    pub errors: AddErrors,
    pub min_minutes: u32,
    pub max_minutes: u32,
}

impl AddPage {
    fn new(signed_in: &SignedIn) -> Self {
        let chrome = signed_in.chrome();
        Self {
            csrf_token: chrome.csrf_token.clone(),
            chrome: Some(chrome),
            asset_version: ASSET_VERSION,
            label: String::new(),
            regions: region_options(Region::Lark.as_str()),
            app_id: String::new(),
            base_url: String::new(),
            sync_interval: interval_text(Some(SyncInterval::DEFAULT.minutes())),
            skip_verify: false,
            errors: AddErrors::default(),
            min_minutes: SyncInterval::MIN_MINUTES,
            max_minutes: SyncInterval::MAX_MINUTES,
        }
    }
}

/// `GET /admin/integrations/new`.
pub async fn new_form(signed_in: web::ReqData<SignedIn>) -> Result<HttpResponse, UiError> {
    render(StatusCode::OK, &AddPage::new(&signed_in))
}

/// `POST /admin/integrations`: 303 to `/` once stored; otherwise the form again with its
/// problems (`422`, or `502` when Lark could not be asked).
pub async fn create(
    services: web::Data<Services>,
    signed_in: web::ReqData<SignedIn>,
    form: web::Form<AddForm>,
) -> Result<HttpResponse, UiError> {
    let form = form.into_inner();
    // The page keeps what was typed, except the App Secret.
    let mut page = AddPage {
        label: form.label.clone(),
        regions: region_options(form.region.trim()),
        app_id: form.app_id.clone(),
        base_url: form.base_url.clone(),
        sync_interval: form.sync_interval_minutes.clone(),
        skip_verify: form.skip_verify.is_some(),
        ..AddPage::new(&signed_in)
    };
    let region = form.region.trim().parse::<Region>();
    if region.is_err() {
        page.errors.region = Some("Choose Lark or Feishu.".to_owned());
    }
    let interval = match IntervalInput::parse(&form.sync_interval_minutes) {
        IntervalInput::OnDemand => None,
        IntervalInput::Minutes(minutes) => Some(minutes),
        IntervalInput::NotANumber => {
            page.errors.sync_interval = Some(IntervalInput::not_a_number());
            None
        }
    };
    let new = NewIntegration {
        label: form.label,
        region: region.clone().unwrap_or(Region::Lark),
        base_url: filled(&form.base_url).map(str::to_owned),
        app_id: form.app_id,
        app_secret: form.app_secret.unwrap_or_else(|| SecretString::from("")),
        verify: form.skip_verify.is_none(),
        rate_limits: services.settings.lark.rate_limits(),
    };
    for problem in services.register.check(&new, interval) {
        page.errors.record(problem)?;
    }
    if page.errors.any() {
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    match services.register.execute_with_schedule(new, interval).await {
        Ok(integration) => {
            tracing::info!(integration = %integration.id, label = %integration.label, "integration added in the web UI");
            Ok(see_other("/").finish())
        }
        Err(err) => {
            let status = match &err {
                RegisterError::Verification(
                    DirectoryError::RateLimited { .. }
                    | DirectoryError::Unavailable { .. }
                    | DirectoryError::InvalidResponse { .. }
                    | DirectoryError::Api { .. },
                ) => StatusCode::BAD_GATEWAY,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            page.errors.record(err)?;
            render(status, &page)
        }
    }
}

// ---- editing ---------------------------------------------------------------------------------

/// What the edit form sends.
#[derive(Deserialize)]
pub struct EditForm {
    #[serde(default)]
    label: String,
    #[serde(default)]
    sync_interval_minutes: String,
}

#[derive(Debug, Default)]
pub struct EditErrors {
    pub label: Option<String>,
    pub sync_interval: Option<String>,
}

impl EditErrors {
    fn record(&mut self, err: UpdateError) -> Result<(), UiError> {
        match err {
            UpdateError::Label(problem) => self.label = Some(sentence(problem)),
            UpdateError::SyncInterval(problem) => self.sync_interval = Some(sentence(problem)),
            UpdateError::LabelTaken(_) => self.label = Some(label_taken()),
            UpdateError::NotFound(_) => return Err(UiError::NotFound),
            UpdateError::Store(store) => return Err(store.into()),
        }
        Ok(())
    }
}

#[derive(Debug, Template)]
#[template(path = "integration_edit.html")]
pub struct EditPage {
    pub chrome: Option<Chrome>,
    pub asset_version: &'static str,
    pub csrf_token: String,
    pub id: String,
    /// The label as stored (the heading), while the field holds what was typed.
    pub current_label: String,
    pub region: &'static str,
    pub app_id: String,
    pub label: String,
    pub sync_interval: String,
    pub errors: EditErrors,
    pub min_minutes: u32,
    pub max_minutes: u32,
}

impl EditPage {
    fn new(signed_in: &SignedIn, integration: &Integration) -> Self {
        let chrome = signed_in.chrome();
        Self {
            csrf_token: chrome.csrf_token.clone(),
            chrome: Some(chrome),
            asset_version: ASSET_VERSION,
            id: integration.id.to_string(),
            current_label: integration.label.to_string(),
            region: integration.region.as_str(),
            app_id: integration.app_id.to_string(),
            label: integration.label.to_string(),
            sync_interval: interval_text(integration.sync_interval_minutes()),
            errors: EditErrors::default(),
            min_minutes: SyncInterval::MIN_MINUTES,
            max_minutes: SyncInterval::MAX_MINUTES,
        }
    }
}

/// The integration a path's `{id}` names; anything else is the 404 page.
///
/// # Errors
/// `NotFound` for a malformed or unknown id, or the store's error.
pub async fn integration_of(services: &Services, id: &str) -> Result<Integration, UiError> {
    let id: IntegrationId = id.parse().map_err(|_| UiError::NotFound)?;
    services
        .integrations
        .get(id)
        .await?
        .ok_or(UiError::NotFound)
}

/// `GET /admin/integrations/{id}/edit`.
pub async fn edit_form(
    services: web::Data<Services>,
    signed_in: web::ReqData<SignedIn>,
    id: web::Path<String>,
) -> Result<HttpResponse, UiError> {
    let integration = integration_of(&services, &id).await?;
    render(StatusCode::OK, &EditPage::new(&signed_in, &integration))
}

/// `POST /admin/integrations/{id}/edit`: 303 to `/` once stored, else the form with its
/// problems (`422`).
pub async fn update(
    services: web::Data<Services>,
    signed_in: web::ReqData<SignedIn>,
    id: web::Path<String>,
    form: web::Form<EditForm>,
) -> Result<HttpResponse, UiError> {
    let integration = integration_of(&services, &id).await?;
    let form = form.into_inner();
    let mut page = EditPage {
        label: form.label.clone(),
        sync_interval: form.sync_interval_minutes.clone(),
        ..EditPage::new(&signed_in, &integration)
    };
    let interval = match IntervalInput::parse(&form.sync_interval_minutes) {
        IntervalInput::OnDemand => Patch::Clear,
        IntervalInput::Minutes(minutes) => Patch::Set(minutes),
        IntervalInput::NotANumber => {
            page.errors.sync_interval = Some(IntervalInput::not_a_number());
            Patch::Keep
        }
    };
    let changes = IntegrationChanges {
        label: Some(form.label),
        sync_interval_minutes: interval,
    };
    for problem in UpdateIntegration::check(&changes) {
        page.errors.record(problem)?;
    }
    if page.errors.label.is_some() || page.errors.sync_interval.is_some() {
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    match services.update.execute(integration.id, &changes).await {
        Ok(_) => Ok(see_other("/").finish()),
        Err(err) => {
            page.errors.record(err)?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_messages_become_sentences() {
        assert_eq!(sentence("the label is empty"), "The label is empty.");
        assert_eq!(sentence("Done."), "Done.");
    }

    #[test]
    fn the_interval_field_is_empty_a_number_or_wrong() {
        assert!(matches!(
            IntervalInput::parse("  "),
            IntervalInput::OnDemand
        ));
        assert!(matches!(
            IntervalInput::parse(" 15 "),
            IntervalInput::Minutes(15)
        ));
        assert!(matches!(
            IntervalInput::parse("hourly"),
            IntervalInput::NotANumber
        ));
    }
}
