//! The directory probes, in the order the sync depends on them: sign in with the app's
//! credentials, read the tenant, read the contact range, read one department and its children,
//! list a few members, and look at which fields Lark returned. A handful of small read-only
//! requests; each failure marks what depends on it `not_checked`.

use std::sync::Arc;

use super::fields::{self, DEPARTMENT_FIELDS, USER_FIELDS};
use super::fixes::{Console, FIX_ABOVE, FIX_BASE_URL, TRY_AGAIN};
use super::report::{Capability, Check, Outcome};
use crate::ports::{
    ContactScope, DirectoryConnection, DirectoryError, DirectoryGateway, DirectorySession,
    RemoteDepartment, RemoteUser,
};
use crate::values::DepartmentId;

/// Members per probe page: enough to see which fields come back, small enough to be cheap.
pub(super) const SAMPLE_USERS: usize = 10;
/// Sub-departments listed to find members when a top-level department has none directly.
pub(super) const SAMPLE_DEPARTMENTS: usize = 5;
/// Departments whose members are tried before giving up on finding users.
const DEPARTMENTS_TRIED: usize = 3;

/// Scopes suggested when Lark refuses an API without naming one (it names one normally).
const TENANT_SCOPE: &str = "tenant:tenant:readonly";
const CONTACT_BASE_SCOPE: &str = "contact:contact.base:readonly";
const DEPARTMENT_SCOPE: &str = "contact:department.organize:readonly";
const GROUPS_SCOPE: &str = "contact:group:readonly";
const APPS_SCOPE: &str = "admin:app.info:readonly";
/// Groups and apps per probe page.
const SAMPLE_INVENTORY: usize = 5;

/// Turns a failed probe into its check: a refused permission or credential is `missing`, a
/// department or user outside the contact range too, anything else (Lark unreachable, rate
/// limited, an odd answer) a `warning` that could not be decided.
fn failure(
    capability: Capability,
    err: DirectoryError,
    default_scope: &str,
    console: &Console,
) -> Check {
    match err {
        DirectoryError::MissingScope { scope, .. } => {
            let scope = scope.unwrap_or_else(|| default_scope.to_owned());
            Check::failed(
                capability,
                Outcome::Missing,
                format!("Lark refused: the app lacks the permission `{scope}`."),
                console.add_scope(&scope),
            )
            .with_scope(scope)
        }
        DirectoryError::InvalidCredentials { .. } => Check::failed(
            capability,
            Outcome::Missing,
            "Lark rejected the App ID or App Secret.".to_owned(),
            console.check_credentials(),
        ),
        DirectoryError::NoAuthority { resource, .. } => Check::failed(
            capability,
            Outcome::Missing,
            format!("Lark says {resource} is outside the app's contact range."),
            console.widen_contact_range(),
        ),
        DirectoryError::BaseUrlRefused(refusal) => Check::failed(
            capability,
            Outcome::Missing,
            format!("Aviary sent nothing: {refusal}."),
            FIX_BASE_URL,
        ),
        other @ (DirectoryError::RateLimited { .. }
        | DirectoryError::Unavailable { .. }
        | DirectoryError::InvalidResponse { .. }
        | DirectoryError::Api { .. }) => Check::failed(
            capability,
            Outcome::Warning,
            format!("Aviary could not check this: {other}."),
            TRY_AGAIN,
        ),
    }
}

fn skip(capabilities: &[Capability], because: &str) -> Vec<Check> {
    capabilities
        .iter()
        .map(|&c| Check::not_checked(c, because, FIX_ABOVE))
        .collect()
}

fn user_field_capabilities() -> Vec<Capability> {
    USER_FIELDS.iter().map(|f| f.capability).collect()
}

/// Everything after the contact range that depends on it (groups and apps do not).
fn after_scope() -> Vec<Capability> {
    let mut caps = vec![
        Capability::ReadDepartments,
        Capability::DepartmentNames,
        Capability::ReadUsers,
    ];
    caps.extend(user_field_capabilities());
    caps
}

/// Runs every directory check for one integration (all but `user_login`), in report order.
pub(super) async fn probe(
    directory: &dyn DirectoryGateway,
    connection: &DirectoryConnection,
    console: &Console,
) -> Vec<Check> {
    let mut checks = Vec::new();
    let session = match directory.open_verified(connection).await {
        Ok(session) => {
            checks.push(Check::ok(
                Capability::AppCredentials,
                "Lark accepted the App ID and App Secret and issued a tenant access token.",
            ));
            session
        }
        Err(err) => {
            checks.push(failure(Capability::AppCredentials, err, "", console));
            let mut rest = vec![Capability::TenantInfo, Capability::ContactScope];
            rest.extend(after_scope());
            rest.extend([Capability::ReadGroups, Capability::ReadApps]);
            checks.extend(skip(&rest, "the app could not sign in to Lark"));
            return checks;
        }
    };
    checks.push(match session.tenant().await {
        Ok(tenant) => Check::ok(
            Capability::TenantInfo,
            format!("Tenant \"{}\" ({}).", tenant.name, tenant.tenant_key),
        )
        .with_scope(TENANT_SCOPE),
        Err(err) => failure(Capability::TenantInfo, err, TENANT_SCOPE, console),
    });
    let scope = match session.contact_scope().await {
        Ok(scope)
            if scope.department_ids.is_empty()
                && scope.user_ids.is_empty()
                && scope.group_ids.is_empty() =>
        {
            checks.push(Check::failed(
                Capability::ContactScope,
                Outcome::Missing,
                "The app's contact range is empty: Lark shows it no department, no user and no \
                 user group, so a sync would find nobody.",
                console.widen_contact_range(),
            ));
            None
        }
        Ok(scope) => {
            checks.push(
                Check::ok(
                    Capability::ContactScope,
                    format!(
                        "The contact range starts at {} department(s), {} user(s) and {} user \
                         group(s) granted directly.",
                        scope.department_ids.len(),
                        scope.user_ids.len(),
                        scope.group_ids.len()
                    ),
                )
                .with_scope(CONTACT_BASE_SCOPE),
            );
            Some(scope)
        }
        Err(err) => {
            checks.push(failure(
                Capability::ContactScope,
                err,
                CONTACT_BASE_SCOPE,
                console,
            ));
            None
        }
    };
    match &scope {
        None => checks.extend(skip(&after_scope(), "the contact range could not be used")),
        Some(scope) => {
            let tried = departments(&session, scope, console, &mut checks).await;
            users(&session, scope, tried, console, &mut checks).await;
        }
    }
    checks.push(groups(&session, scope.as_ref(), console).await);
    checks.push(apps(&session, console).await);
    checks
}

/// `read_groups`: one page of user groups.
async fn groups(
    session: &Arc<dyn DirectorySession>,
    scope: Option<&ContactScope>,
    console: &Console,
) -> Check {
    let in_range = scope.map_or(0, |s| s.group_ids.len());
    match session.sample_groups(SAMPLE_INVENTORY).await {
        Ok(groups) => Check::ok(
            Capability::ReadGroups,
            format!(
                "Listed {} user group(s) (one page); the contact range grants {in_range} \
                 directly.",
                groups.len()
            ),
        )
        .with_scope(GROUPS_SCOPE),
        Err(err) => {
            let mut check = failure(Capability::ReadGroups, err, GROUPS_SCOPE, console);
            if in_range > 0 && check.outcome == Outcome::Missing {
                check.summary.push_str(&format!(
                    " The contact range grants {in_range} user group(s), so syncs fail until it \
                     is added: their members could not be listed."
                ));
            } else if check.outcome == Outcome::Missing {
                check.summary.push_str(" Syncs go on without user groups.");
            }
            check
        }
    }
}

/// `read_apps`: one page of installed apps.
async fn apps(session: &Arc<dyn DirectorySession>, console: &Console) -> Check {
    match session.sample_apps(SAMPLE_INVENTORY).await {
        Ok(apps) => Check::ok(
            Capability::ReadApps,
            format!("Listed {} installed app(s) (one page).", apps.len()),
        )
        .with_scope(APPS_SCOPE),
        Err(err) => {
            let mut check = failure(Capability::ReadApps, err, APPS_SCOPE, console);
            if check.outcome == Outcome::Missing {
                check
                    .summary
                    .push_str(" Syncs go on without the app inventory.");
            }
            check
        }
    }
}

/// `read_departments` and `department_names`; returns the departments whose members to try.
async fn departments(
    session: &Arc<dyn DirectorySession>,
    scope: &ContactScope,
    console: &Console,
    checks: &mut Vec<Check>,
) -> Vec<DepartmentId> {
    let Some(root) = scope
        .department_ids
        .iter()
        .find(|id| !id.is_root())
        .cloned()
    else {
        checks.push(Check::failed(
            Capability::ReadDepartments,
            Outcome::Warning,
            "The contact range holds only users granted directly, no department: there is no \
             department to read.",
            console.widen_contact_range(),
        ));
        checks.extend(skip(
            &[Capability::DepartmentNames],
            "the contact range has no department to look at",
        ));
        return Vec::new();
    };
    let read = match session.departments(std::slice::from_ref(&root)).await {
        Ok(found) => match session.sample_departments(&root, SAMPLE_DEPARTMENTS).await {
            Ok(children) => Ok((found, children)),
            Err(err) => Err(err),
        },
        Err(err) => Err(err),
    };
    let (found, children) = match read {
        Ok(read) => read,
        Err(err) => {
            checks.push(failure(
                Capability::ReadDepartments,
                err,
                DEPARTMENT_SCOPE,
                console,
            ));
            checks.extend(skip(
                &[Capability::DepartmentNames],
                "departments could not be read",
            ));
            // Member listing has its own permission: still worth probing.
            return vec![root];
        }
    };
    checks.push(
        Check::ok(
            Capability::ReadDepartments,
            format!(
                "Read department {root} and {} of its sub-departments.",
                children.len()
            ),
        )
        .with_scope(DEPARTMENT_SCOPE),
    );
    let samples: Vec<&serde_json::Value> = found
        .iter()
        .chain(children.iter())
        .map(|d: &RemoteDepartment| &d.raw)
        .collect();
    for spec in DEPARTMENT_FIELDS {
        checks.push(fields::check(spec, &samples, "departments", console));
    }
    let mut tried: Vec<DepartmentId> = scope
        .department_ids
        .iter()
        .filter(|id| !id.is_root())
        .cloned()
        .collect();
    tried.extend(children.into_iter().map(|d| d.state.open_department_id));
    tried.truncate(DEPARTMENTS_TRIED.max(1));
    tried
}

/// `read_users` and the user field checks.
async fn users(
    session: &Arc<dyn DirectorySession>,
    scope: &ContactScope,
    departments: Vec<DepartmentId>,
    console: &Console,
    checks: &mut Vec<Check>,
) {
    let mut sampled: Vec<RemoteUser> = Vec::new();
    let mut source = String::new();
    for department in departments {
        match session.sample_users(&department, SAMPLE_USERS).await {
            Ok(users) if users.is_empty() => {}
            Ok(users) => {
                source = format!("department {department}");
                sampled = users;
                break;
            }
            Err(err) => {
                checks.push(failure(
                    Capability::ReadUsers,
                    err,
                    CONTACT_BASE_SCOPE,
                    console,
                ));
                checks.extend(skip(
                    &user_field_capabilities(),
                    "users could not be listed",
                ));
                return;
            }
        }
    }
    if sampled.is_empty() && !scope.user_ids.is_empty() {
        let ids: Vec<_> = scope.user_ids.iter().take(SAMPLE_USERS).cloned().collect();
        match session.users(&ids).await {
            Ok(users) => {
                source = "the users granted directly".to_owned();
                sampled = users;
            }
            Err(err) => {
                checks.push(failure(
                    Capability::ReadUsers,
                    err,
                    CONTACT_BASE_SCOPE,
                    console,
                ));
                checks.extend(skip(&user_field_capabilities(), "users could not be read"));
                return;
            }
        }
    }
    if sampled.is_empty() {
        checks.push(Check::failed(
            Capability::ReadUsers,
            Outcome::Warning,
            "Lark listed no user in the first departments of the contact range, so no user \
             could be looked at.",
            console.widen_contact_range(),
        ));
        checks.extend(skip(
            &user_field_capabilities(),
            "no user was found to look at",
        ));
        return;
    }
    checks.push(
        Check::ok(
            Capability::ReadUsers,
            format!("Listed {} user(s) of {source}.", sampled.len()),
        )
        .with_scope(CONTACT_BASE_SCOPE),
    );
    let samples: Vec<&serde_json::Value> = sampled.iter().map(|u| &u.raw).collect();
    for spec in USER_FIELDS {
        checks.push(fields::check(spec, &samples, "users", console));
    }
}
