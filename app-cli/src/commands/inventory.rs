//! `aviary groups list|show` and `aviary apps list|show`.

use std::process::ExitCode;

use crate::cli::{AppsCommand, GroupsCommand, OutputFormat};
use crate::commands::Ctx;
use crate::output;
use crate::views::ChangeView;
use crate::views::describe_fields;
use crate::views::inventory::{AppView, AppWithHistoryView, GroupView, GroupWithHistoryView};

const GROUP_HEADER: &[&str] = &[
    "id",
    "group_id",
    "name",
    "kind",
    "users",
    "departments",
    "presence",
];

const APP_HEADER: &[&str] = &[
    "app_id",
    "name",
    "status",
    "scene",
    "owner",
    "availability",
    "scopes",
    "presence",
];

fn group_row(v: &GroupView) -> Vec<String> {
    vec![
        v.id.clone(),
        output::opt(v.group_id.as_deref()),
        output::opt(v.name.as_deref()),
        v.kind.to_owned(),
        v.users.len().to_string(),
        v.departments.join(" "),
        v.presence.to_owned(),
    ]
}

fn availability(v: &AppView) -> String {
    match &v.visibility {
        None => "unknown".to_owned(),
        Some(vis) if vis.everyone => "everyone".to_owned(),
        Some(vis) => format!(
            "{} departments, {} groups, {} users",
            vis.departments.len(),
            vis.groups.len(),
            vis.users.len()
        ),
    }
}

fn app_row(v: &AppView) -> Vec<String> {
    vec![
        v.app_id.clone(),
        output::opt(v.name.as_deref()),
        v.status.to_owned(),
        v.scene.to_owned(),
        v.owner
            .as_ref()
            .and_then(|o| o.name.clone().or_else(|| o.email.clone()))
            .unwrap_or_default(),
        availability(v),
        v.scopes.len().to_string(),
        v.presence.to_owned(),
    ]
}

fn print_history(history: &[ChangeView]) -> anyhow::Result<()> {
    say!("history:")?;
    if history.is_empty() {
        say!("  (no changes recorded)")?;
    }
    for change in history {
        say!(
            "  {}  {:<12}  {}",
            change.recorded_at.to_rfc3339(),
            change.kind,
            describe_fields(&change.fields)
        )?;
    }
    Ok(())
}

pub async fn groups(ctx: &Ctx, command: GroupsCommand) -> anyhow::Result<ExitCode> {
    match command {
        GroupsCommand::List {
            selector,
            include_removed,
        } => {
            let integration = ctx.integration(&selector.integration).await?;
            let groups = ctx
                .services
                .queries
                .groups(integration.id, include_removed)
                .await?;
            let views: Vec<GroupView> = groups.iter().map(GroupView::from).collect();
            output::render(ctx.output, &views, GROUP_HEADER, || {
                views.iter().map(group_row).collect()
            })?;
        }
        GroupsCommand::Show { group, selector } => {
            let integration = ctx.integration(&selector.integration).await?;
            let found = ctx.services.queries.group(integration.id, &group).await?;
            let view = GroupWithHistoryView::from(&found);
            match ctx.output {
                OutputFormat::Json => output::json(&view)?,
                OutputFormat::Csv => output::csv(GROUP_HEADER, vec![group_row(&view.group)])?,
                OutputFormat::Table => {
                    output::table(GROUP_HEADER, vec![group_row(&view.group)])?;
                    say!("user members: {}", view.group.users.join(", "))?;
                    say!("member departments: {}", view.group.departments.join(", "))?;
                    print_history(&view.history)?;
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn apps(ctx: &Ctx, command: AppsCommand) -> anyhow::Result<ExitCode> {
    match command {
        AppsCommand::List {
            selector,
            include_removed,
        } => {
            let integration = ctx.integration(&selector.integration).await?;
            let apps = ctx
                .services
                .queries
                .apps(integration.id, include_removed)
                .await?;
            let views: Vec<AppView> = apps.iter().map(AppView::from).collect();
            output::render(ctx.output, &views, APP_HEADER, || {
                views.iter().map(app_row).collect()
            })?;
        }
        AppsCommand::Show { app_id, selector } => {
            let integration = ctx.integration(&selector.integration).await?;
            let found = ctx.services.queries.app(integration.id, &app_id).await?;
            let view = AppWithHistoryView::from(&found);
            match ctx.output {
                OutputFormat::Json => output::json(&view)?,
                OutputFormat::Csv => output::csv(APP_HEADER, vec![app_row(&view.app)])?,
                OutputFormat::Table => {
                    output::table(APP_HEADER, vec![app_row(&view.app)])?;
                    say!("permissions: {}", view.app.scopes.join(", "))?;
                    if let Some(vis) = &view.app.visibility {
                        say!(
                            "available to: everyone={} departments=[{}] groups=[{}] users=[{}]",
                            vis.everyone,
                            vis.departments.join(", "),
                            vis.groups.join(", "),
                            vis.users.join(", ")
                        )?;
                    }
                    print_history(&view.history)?;
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
