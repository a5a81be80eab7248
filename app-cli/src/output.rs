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

/// Whether `c` would act on the terminal instead of showing: control characters (escape
/// sequences, carriage returns, line breaks) and the Unicode bidirectional overrides and
/// isolates that reorder what follows them.
fn acts_on_terminal(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A table cell as text that only shows: what Lark sends (names, titles) may hold characters
/// that would move the cursor, recolour or clear the terminal or reorder the line; each
/// becomes U+FFFD.
fn printable(cell: String) -> String {
    if cell.chars().any(acts_on_terminal) {
        cell.chars()
            .map(|c| if acts_on_terminal(c) { '\u{FFFD}' } else { c })
            .collect()
    } else {
        cell
    }
}

/// Prints a table with a header row; cells show only printable text ([`printable`]).
pub fn table(header: &[&str], rows: Vec<Vec<String>>) -> anyhow::Result<()> {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    table.set_header(header.to_vec());
    for row in rows {
        table.add_row(row.into_iter().map(printable));
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

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn terminal_controls_in_a_cell_show_as_replacement_characters() {
        assert_eq!(
            printable("Ann\u{1b}[2J\u{1b}]0;pwned\u{7}".to_owned()),
            "Ann\u{FFFD}[2J\u{FFFD}]0;pwned\u{FFFD}"
        );
        assert_eq!(
            printable("a\r\nb\tc".to_owned()),
            "a\u{FFFD}\u{FFFD}b\u{FFFD}c"
        );
        assert_eq!(printable("\u{202E}fdp.exe".to_owned()), "\u{FFFD}fdp.exe");
        assert_eq!(
            printable("张伟 (Zhang Wei) — 設計".to_owned()),
            "张伟 (Zhang Wei) — 設計"
        );
    }
}
