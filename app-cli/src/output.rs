//! Rendering views as a table, JSON or CSV on stdout.

use std::io::Write;

use anyhow::Context;
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;

use crate::cli::OutputFormat;

/// Writes one formatted line to stdout (see the `say!` macro).
pub fn write_line(args: std::fmt::Arguments<'_>) -> anyhow::Result<()> {
    writeln!(std::io::stdout().lock(), "{args}").context("cannot write to stdout")
}

/// Prints a value as pretty JSON.
pub fn json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value).context("cannot write JSON to stdout")?;
    writeln!(out).context("cannot write to stdout")?;
    Ok(())
}

/// Prints a table with a header row.
pub fn table(header: &[&str], rows: Vec<Vec<String>>) -> anyhow::Result<()> {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    table.set_header(header.to_vec());
    for row in rows {
        table.add_row(row);
    }
    writeln!(std::io::stdout().lock(), "{table}").context("cannot write to stdout")
}

/// Prints CSV with a header row.
pub fn csv(header: &[&str], rows: Vec<Vec<String>>) -> anyhow::Result<()> {
    aviary_views::csv::write(std::io::stdout().lock(), header, rows).context("cannot write CSV")
}

/// Renders rows in the chosen format; JSON uses the serialisable views instead of the rows.
pub fn render<T: Serialize>(
    format: OutputFormat,
    views: &[T],
    header: &[&str],
    rows: impl FnOnce() -> Vec<Vec<String>>,
) -> anyhow::Result<()> {
    match format {
        OutputFormat::Json => json(views),
        OutputFormat::Csv => csv(header, rows()),
        OutputFormat::Table => table(header, rows()),
    }
}

pub fn opt(value: Option<&str>) -> String {
    value.unwrap_or("").to_owned()
}
