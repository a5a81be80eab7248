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

/// Spreadsheet programs execute cells starting with these; prefix them so exported evidence
/// cannot run formulas. `+`/`-` followed by a digit (phone numbers) stay as they are.
pub fn defuse(cell: &str) -> String {
    let mut chars = cell.chars();
    let first = chars.next();
    let second = chars.next();
    let dangerous = match first {
        Some('=' | '@' | '\t' | '\r') => true,
        Some('+' | '-') => !second.is_some_and(|c| c.is_ascii_digit()),
        _ => false,
    };
    if dangerous {
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
        assert_eq!(defuse("-x"), "'-x");
        assert_eq!(defuse("Ann"), "Ann");
    }
}
