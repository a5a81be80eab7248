//! `aviary accounts list|show`.

use std::process::ExitCode;

use aviary_domain::model::{AccountSort, AccountStatus, Role, SortKey};
use aviary_domain::usecases::{AccountFilter, QueriesError};

use crate::cli::{AccountsCommand, AccountsListArgs, OutputFormat};
use crate::commands::Ctx;
use crate::output;
use crate::views::csv::{ACCOUNT_HEADER, account_row};
use crate::views::{
    AccountView, AccountWithHistoryView, ChangeView, GroupRef, department_names, describe_fields,
};

pub async fn run(ctx: &Ctx, command: AccountsCommand) -> anyhow::Result<ExitCode> {
    match command {
        AccountsCommand::List(args) => list(ctx, args).await,
        AccountsCommand::Show {
            open_id,
            integration,
        } => show(ctx, &open_id, integration.as_deref()).await,
    }
}

const TABLE_HEADER: &[&str] = &[
    "OPEN_ID",
    "NAME",
    "EMAIL",
    "STATUS",
    "ROLES",
    "DEPARTMENTS",
    "DESIGNATION",
];

pub fn table_row(v: &AccountView) -> Vec<String> {
    let removed = if v.removed_at.is_some() {
        " (removed)"
    } else {
        ""
    };
    vec![
        v.open_id.clone(),
        output::opt(v.name.as_deref()),
        output::opt(v.email.as_deref().or(v.enterprise_email.as_deref())),
        format!("{}{removed}", v.status),
        v.roles.join(", "),
        v.departments
            .iter()
            .map(|d| d.display())
            .collect::<Vec<_>>()
            .join(", "),
        output::opt(v.designation.as_deref()),
    ]
}

/// Prints account views in the chosen format.
pub fn print_accounts(format: OutputFormat, views: &[AccountView]) -> anyhow::Result<()> {
    match format {
        OutputFormat::Json => output::json(views),
        OutputFormat::Csv => output::csv(ACCOUNT_HEADER, views.iter().map(account_row).collect()),
        OutputFormat::Table => output::table(TABLE_HEADER, views.iter().map(table_row).collect()),
    }
}

async fn list(ctx: &Ctx, args: AccountsListArgs) -> anyhow::Result<ExitCode> {
    let integration = ctx.integration(&args.selector.integration).await?;
    let filter = AccountFilter {
        status: args
            .status
            .as_deref()
            .map(str::parse::<AccountStatus>)
            .transpose()?,
        role: args.role.as_deref().map(str::parse::<Role>).transpose()?,
        department: args.department,
        group: args.group,
        search: args.search,
        include_removed: args.include_removed,
        sort: AccountSort {
            key: args.sort.unwrap_or(SortKey::OpenId),
            descending: args.desc,
        },
    };
    let accounts = ctx
        .services
        .queries
        .accounts(integration.id, &filter)
        .await?;
    let names = department_names(
        &ctx.services
            .queries
            .departments(integration.id, true)
            .await?,
    );
    let views: Vec<AccountView> = accounts
        .iter()
        .map(|a| AccountView::new(a, &names))
        .collect();
    print_accounts(ctx.output, &views)?;
    if ctx.output == OutputFormat::Table {
        eprintln!("{} accounts", views.len());
    }
    Ok(ExitCode::SUCCESS)
}

async fn show(ctx: &Ctx, open_id: &str, integration: Option<&str>) -> anyhow::Result<ExitCode> {
    let candidates = match integration {
        Some(key) => vec![ctx.integration(key).await?.summary],
        None => ctx.services.integrations.list().await?,
    };
    let mut found = Vec::new();
    for candidate in candidates {
        match ctx.services.queries.account(candidate.id, open_id).await {
            Ok(account) => found.push((candidate, account)),
            Err(QueriesError::UnknownAccount(_)) => {}
            Err(other) => return Err(other.into()),
        }
    }
    let (integration, found) = match found.len() {
        0 => anyhow::bail!(
            "no account with open_id \"{open_id}\" (see `aviary accounts list --integration …`)"
        ),
        1 => found.remove(0),
        _ => anyhow::bail!(
            "open_id \"{open_id}\" exists in several integrations ({}); pass --integration",
            found
                .iter()
                .map(|(i, _)| i.label.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let groups = ctx.services.queries.account_groups(&found.account).await?;
    let names = department_names(
        &ctx.services
            .queries
            .departments(integration.id, true)
            .await?,
    );
    let view = AccountWithHistoryView {
        integration_id: integration.id.to_string(),
        account: AccountView::new(&found.account, &names),
        groups: groups.iter().map(GroupRef::from).collect(),
        history: found.history.iter().map(ChangeView::from).collect(),
    };
    match ctx.output {
        OutputFormat::Json => output::json(&view)?,
        OutputFormat::Csv => output::csv(ACCOUNT_HEADER, vec![account_row(&view.account)])?,
        OutputFormat::Table => {
            output::table(TABLE_HEADER, vec![table_row(&view.account)])?;
            if !view.groups.is_empty() {
                say!(
                    "user groups: {}",
                    view.groups
                        .iter()
                        .map(|g| g.name.clone().unwrap_or_else(|| g.id.clone()))
                        .collect::<Vec<_>>()
                        .join(", ")
                )?;
            }
            say!("history of {open_id} in \"{}\":", integration.label)?;
            for change in &view.history {
                say!(
                    "  {}  {:<8}  {}",
                    change.recorded_at.to_rfc3339(),
                    change.kind,
                    describe_fields(&change.fields)
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
