//! `aviary integration doctor <ID|LABEL>`: runs the permission doctor and prints one row per
//! capability (outcome, what was found, the fix), or the report as JSON with `-o json`. Exit
//! code 0 when nothing is missing (warnings and advice allowed), 1 when a check is missing or could not
//! run — so scripts and monitoring can alert on it.

use std::process::ExitCode;

use aviary_domain::usecases::doctor::DoctorReport;

use crate::cli::OutputFormat;
use crate::commands::Ctx;
use crate::output;

const HEADER: &[&str] = &["CAPABILITY", "RESULT", "SUMMARY", "FIX"];

fn rows(report: &DoctorReport) -> Vec<Vec<String>> {
    report
        .checks
        .iter()
        .map(|check| {
            vec![
                check.capability.as_str().to_owned(),
                check.outcome.as_str().to_owned(),
                check.summary.clone(),
                output::opt(check.fix.as_deref()),
            ]
        })
        .collect()
}

/// One line for people: what the table adds up to.
fn verdict(report: &DoctorReport) -> String {
    use aviary_domain::usecases::doctor::Outcome;
    let missing = report.count(Outcome::Missing);
    let skipped = report.count(Outcome::NotChecked);
    let warnings = report.count(Outcome::Warning);
    let advice = report.count(Outcome::Advice);
    if report.healthy {
        let caveat = match (warnings, advice) {
            (0, 0) => String::new(),
            (w, 0) => format!(" ({w} warning(s))"),
            (0, a) => format!(" ({a} piece(s) of advice in the FIX column)"),
            (w, a) => format!(" ({w} warning(s), {a} piece(s) of advice)"),
        };
        format!(
            "integration \"{}\": everything Aviary needs from Lark works{caveat}",
            report.label
        )
    } else {
        format!(
            "integration \"{}\": {missing} missing, {skipped} not checked, {warnings} warning(s); \
             the FIX column says what to do",
            report.label
        )
    }
}

pub async fn run(ctx: &Ctx, key: &str) -> anyhow::Result<ExitCode> {
    let integration = ctx.integration(key).await?;
    let report = ctx.services.doctor.run(integration.id).await?;
    match ctx.output {
        OutputFormat::Json => output::json(&report)?,
        OutputFormat::Csv => output::csv(HEADER, rows(&report))?,
        OutputFormat::Table => {
            output::table(HEADER, rows(&report))?;
            eprintln!("{}", verdict(&report));
        }
    }
    Ok(if report.healthy {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
