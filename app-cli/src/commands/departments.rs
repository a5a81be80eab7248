//! `aviary departments list`.

use std::process::ExitCode;

use crate::cli::DepartmentsCommand;
use crate::commands::Ctx;
use crate::output;
use crate::views::DepartmentView;

const HEADER: &[&str] = &[
    "id",
    "department_id",
    "name",
    "parent_id",
    "leader_open_id",
    "member_count",
    "removed_at",
];

pub async fn run(ctx: &Ctx, command: DepartmentsCommand) -> anyhow::Result<ExitCode> {
    let DepartmentsCommand::List {
        selector,
        include_removed,
    } = command;
    let integration = ctx.integration(&selector.integration).await?;
    let departments = ctx
        .services
        .queries
        .departments(integration.id, include_removed)
        .await?;
    let views: Vec<DepartmentView> = departments.iter().map(DepartmentView::from).collect();
    output::render(ctx.output, &views, HEADER, || {
        views
            .iter()
            .map(|v| {
                vec![
                    v.id.clone(),
                    output::opt(v.department_id.as_deref()),
                    output::opt(v.name.as_deref()),
                    output::opt(v.parent_id.as_deref()),
                    output::opt(v.leader_open_id.as_deref()),
                    v.member_count.map(|c| c.to_string()).unwrap_or_default(),
                    v.removed_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                ]
            })
            .collect()
    })?;
    Ok(ExitCode::SUCCESS)
}
