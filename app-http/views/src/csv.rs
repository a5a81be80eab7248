//! CSV exports shared by the CLI and the API: the accounts columns, spreadsheet-formula
//! defusing, and writing rows with a header.

use super::AccountView;

/// Columns of an accounts export (`aviary accounts list -o csv`, `GET …/accounts?format=csv`).
pub const ACCOUNT_HEADER: &[&str] = &[
    "open_id",
    "union_id",
    "user_id",
    "name",
    "en_name",
    "email",
    "enterprise_email",
    "mobile",
    "status",
    "roles",
    "departments",
    "department_ids",
    "primary_department_id",
    "designation",
    "employee_no",
    "employee_type",
    "leader_open_id",
    "removed_at",
];

fn opt(value: Option<&str>) -> String {
    value.unwrap_or("").to_owned()
}

/// One account as a row under [`ACCOUNT_HEADER`]; list cells are joined with `;`.
pub fn account_row(v: &AccountView) -> Vec<String> {
    vec![
        v.open_id.clone(),
        opt(v.union_id.as_deref()),
        opt(v.user_id.as_deref()),
        opt(v.name.as_deref()),
        opt(v.en_name.as_deref()),
        opt(v.email.as_deref()),
        opt(v.enterprise_email.as_deref()),
        opt(v.mobile.as_deref()),
        v.status.to_owned(),
        v.roles.join(";"),
        v.departments
            .iter()
            .map(|d| d.display())
            .collect::<Vec<_>>()
            .join(";"),
        v.departments
            .iter()
            .map(|d| d.id.clone())
            .collect::<Vec<_>>()
            .join(";"),
        opt(v.primary_department_id.as_deref()),
        opt(v.designation.as_deref()),
        opt(v.employee_no.as_deref()),
        v.employee_type.map(|t| t.to_string()).unwrap_or_default(),
        opt(v.leader_open_id.as_deref()),
        v.removed_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
    ]
}

/// Spreadsheet programs evaluate a cell that starts with one of these as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A phone number and nothing else: `+`, a digit, then digits, spaces and `-().` only. Such a
/// cell cannot name a function or reach another program (no letters, no `|` or `!`), so it is
/// exported as Lark has it (`+86 138 0013 8000`).
fn is_phone_number(cell: &str) -> bool {
    let Some(rest) = cell.strip_prefix('+') else {
        return false;
    };
    rest.starts_with(|c: char| c.is_ascii_digit())
        && rest
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')' | '.'))
}

/// Prefixes a cell that a spreadsheet would run as a formula with `'`, so exported evidence
/// cannot run formulas (`-1+HYPERLINK(…)`, `+1+cmd|…` included); a cell that is entirely a
/// phone number stays as it is.
pub fn defuse(cell: &str) -> String {
    if cell.starts_with(FORMULA_STARTS) && !is_phone_number(cell) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

/// Writes a header row and the rows (cells defused) as CSV to `out`.
///
/// # Errors
/// When `out` fails.
pub fn write<W: std::io::Write>(
    out: W,
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Result<(), csv::Error> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(header)?;
    for row in rows {
        writer.write_record(row.iter().map(|cell| defuse(cell)))?;
    }
    writer.flush()?;
    Ok(())
}

/// Writes rows (cells defused) as CSV without a header: the later parts of an export that is
/// streamed in parts.
///
/// # Errors
/// When `out` fails.
pub fn write_rows<W: std::io::Write>(
    out: W,
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Result<(), csv::Error> {
    let mut writer = csv::Writer::from_writer(out);
    for row in rows {
        writer.write_record(row.iter().map(|cell| defuse(cell)))?;
    }
    writer.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::defuse;

    #[test]
    fn formulas_are_defused_but_phone_numbers_are_not() {
        assert_eq!(defuse("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(defuse("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(defuse("+4144668180"), "+4144668180");
        assert_eq!(defuse("+86 138-0013 (8000)"), "+86 138-0013 (8000)");
        assert_eq!(defuse("-x"), "'-x");
        assert_eq!(defuse("Ann"), "Ann");
    }

    #[test]
    fn a_digit_after_the_sign_no_longer_lets_a_formula_through() {
        assert_eq!(defuse("-1+HYPERLINK(\"x\")"), "'-1+HYPERLINK(\"x\")");
        assert_eq!(defuse("+1+cmd|' /C calc'!A0"), "'+1+cmd|' /C calc'!A0");
        assert_eq!(defuse("+1"), "+1");
        assert_eq!(defuse("-1"), "'-1");
        assert_eq!(defuse("+"), "'+");
        assert_eq!(defuse("\t=1"), "'\t=1");
    }

    proptest::proptest! {
        /// Whatever a cell holds, what is written never starts a formula, unless it is exactly
        /// the phone number it was.
        #[test]
        fn no_written_cell_starts_a_formula_unless_it_is_a_phone_number(cell in "\\PC*|[=+\\-@\t\r][ -~]{0,12}|\\+[0-9 ()+\\-]{0,12}") {
            let written = defuse(&cell);
            if written.starts_with(super::FORMULA_STARTS) {
                proptest::prop_assert!(super::is_phone_number(&written));
                proptest::prop_assert_eq!(&written, &cell);
            } else {
                let prefixed = format!("'{cell}");
                proptest::prop_assert!(written == cell || written == prefixed);
            }
        }

        /// The CSV a writer produces reads back as the defused cells, however hostile the
        /// text (quotes, separators, line breaks).
        #[test]
        fn written_rows_read_back_as_their_defused_cells(cells in proptest::collection::vec("\\PC*|[=+\\-@][ -~]{0,8}|[\",\r\n]{0,4}", 1..6)) {
            let mut out = Vec::new();
            super::write_rows(&mut out, [cells.clone()]).unwrap();
            let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(out.as_slice());
            let record = reader.records().next().unwrap().unwrap();
            let back: Vec<String> = record.iter().map(str::to_owned).collect();
            let expected: Vec<String> = cells.iter().map(|c| defuse(c)).collect();
            proptest::prop_assert_eq!(back, expected);
        }
    }
}
