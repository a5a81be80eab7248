//! The accounts filter form of the integration page, read from the query string (it is
//! submitted by GET) and written back into links: sortable headers, pages and the CSV export
//! keep the filters. Bad values become errors shown next to their field, never a failure.

use aviary_domain::model::{AccountCursor, AccountSort, AccountStatus, Role, SortKey};
use aviary_domain::usecases::AccountFilter;

use aviary_views::cursor;

/// Accounts on one page.
pub const PAGE_SIZE: u64 = 50;

/// What the form asked for, as typed (shown again in the form).
#[derive(Debug, Clone, Default)]
pub struct AccountsForm {
    pub status: String,
    pub role: String,
    pub department: String,
    /// A user group's id (its members: users and everyone in its departments).
    pub group: String,
    pub search: String,
    pub include_removed: bool,
    pub sort: AccountSort,
    /// The page after this cursor (the "Next" link).
    pub after: Option<String>,
    /// The page before this cursor (the "Previous" link).
    pub before: Option<String>,
}

/// Errors to show next to the form's fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors {
    pub status: Option<String>,
    pub role: Option<String>,
    pub department: Option<String>,
    pub group: Option<String>,
    pub sort: Option<String>,
    /// A page link that does not fit (damaged, or made for another order).
    pub page: Option<String>,
}

impl FieldErrors {
    /// Whether a filter field is wrong (a bad page link alone still lists the first page).
    pub fn in_filters(&self) -> bool {
        self.status.is_some()
            || self.role.is_some()
            || self.department.is_some()
            || self.group.is_some()
    }
}

/// Where a page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    First,
    After(AccountCursor),
    Before(AccountCursor),
}

/// The parsed form: the filter for the use case and where the page starts.
#[derive(Debug)]
pub struct Parsed {
    pub form: AccountsForm,
    pub filter: AccountFilter,
    pub start: Start,
    pub errors: FieldErrors,
}

fn choice<T: std::str::FromStr>(raw: &str, error: &mut Option<String>, what: &str) -> Option<T> {
    if raw.is_empty() {
        return None;
    }
    let parsed = raw.parse().ok();
    if parsed.is_none() {
        *error = Some(format!("There is no {what} \"{raw}\"."));
    }
    parsed
}

/// People look accounts up by name; the API's default (`open_id`) suits scripts instead.
pub const UI_DEFAULT_SORT: AccountSort = AccountSort::ascending(SortKey::Name);

const BAD_PAGE: &str = "This page link is damaged or belongs to another sort order; \
                        here is the first page instead.";

/// Reads the form from a query string. Repeated parameters: the last one counts.
pub fn parse(query: &str) -> Parsed {
    let mut form = AccountsForm::default();
    let mut sort_key = String::new();
    let mut descending = false;
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let value = value.trim().to_owned();
        match name.as_ref() {
            "status" => form.status = value,
            "role" => form.role = value,
            "department" => form.department = value,
            "group" => form.group = value,
            "search" => form.search = value,
            "include_removed" => form.include_removed = matches!(value.as_str(), "true" | "on"),
            "sort" => sort_key = value,
            "order" => descending = value == "desc",
            "after" => form.after = Some(value).filter(|v| !v.is_empty()),
            "before" => form.before = Some(value).filter(|v| !v.is_empty()),
            _ => {}
        }
    }
    let mut errors = FieldErrors::default();
    let key =
        choice::<SortKey>(&sort_key, &mut errors.sort, "sort order").unwrap_or(UI_DEFAULT_SORT.key);
    form.sort = AccountSort { key, descending };
    let filter = AccountFilter {
        status: choice::<AccountStatus>(&form.status, &mut errors.status, "status"),
        role: choice::<Role>(&form.role, &mut errors.role, "role"),
        department: Some(form.department.clone()).filter(|d| !d.is_empty()),
        group: Some(form.group.clone()).filter(|g| !g.is_empty()),
        search: Some(form.search.clone()).filter(|s| !s.is_empty()),
        include_removed: form.include_removed,
        sort: form.sort,
    };
    let start = match (&form.after, &form.before) {
        (None, None) => Start::First,
        (Some(raw), None) => match cursor::decode(raw) {
            Ok(cursor) if cursor.sort() == form.sort => Start::After(cursor),
            Ok(_) | Err(_) => bad_page(&mut errors),
        },
        (None, Some(raw)) => match cursor::decode(raw) {
            Ok(cursor) if cursor.sort() == form.sort => Start::Before(cursor),
            Ok(_) | Err(_) => bad_page(&mut errors),
        },
        (Some(_), Some(_)) => bad_page(&mut errors),
    };
    Parsed {
        form,
        filter,
        start,
        errors,
    }
}

fn bad_page(errors: &mut FieldErrors) -> Start {
    errors.page = Some(BAD_PAGE.to_owned());
    Start::First
}

impl AccountsForm {
    /// The filters as query parameters (only those that are set).
    fn filter_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        for (name, value) in [
            ("status", &self.status),
            ("role", &self.role),
            ("department", &self.department),
            ("group", &self.group),
            ("search", &self.search),
        ] {
            if !value.is_empty() {
                pairs.push((name, value.clone()));
            }
        }
        if self.include_removed {
            pairs.push(("include_removed", "true".to_owned()));
        }
        pairs
    }

    fn with_sort(&self, sort: AccountSort, mut pairs: Vec<(&'static str, String)>) -> String {
        if sort != UI_DEFAULT_SORT {
            pairs.push(("sort", sort.key.as_str().to_owned()));
        }
        if sort.descending {
            pairs.push(("order", "desc".to_owned()));
        }
        let mut serializer = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in pairs {
            serializer.append_pair(name, &value);
        }
        let query = serializer.finish();
        if query.is_empty() {
            query
        } else {
            format!("?{query}")
        }
    }

    /// `?…`: this listing's first page (filters and order kept), or empty.
    pub fn first_page(&self) -> String {
        self.with_sort(self.sort, self.filter_pairs())
    }

    /// `?…` sorted by `key`: ascending, or the other way round when already sorted by it.
    pub fn sorted_by(&self, key: SortKey) -> String {
        let sort = if self.sort.key == key {
            self.sort.reversed()
        } else {
            AccountSort::ascending(key)
        };
        self.with_sort(sort, self.filter_pairs())
    }

    /// `?…` of the page after `cursor`.
    pub fn after(&self, cursor: &AccountCursor) -> String {
        let mut pairs = self.filter_pairs();
        pairs.push(("after", cursor::encode(cursor)));
        self.with_sort(self.sort, pairs)
    }

    /// `?…` of the page before `cursor`.
    pub fn before(&self, cursor: &AccountCursor) -> String {
        let mut pairs = self.filter_pairs();
        pairs.push(("before", cursor::encode(cursor)));
        self.with_sort(self.sort, pairs)
    }

    /// `▲`/`▼` after the header of the column the listing is sorted by.
    pub fn arrow(&self, key: SortKey) -> &'static str {
        match (self.sort.key == key, self.sort.descending) {
            (false, _) => "",
            (true, false) => " ▲",
            (true, true) => " ▼",
        }
    }

    /// `ascending`/`descending`/`none`, for the header's `aria-sort`.
    pub fn aria_sort(&self, key: SortKey) -> &'static str {
        match (self.sort.key == key, self.sort.descending) {
            (false, _) => "none",
            (true, false) => "ascending",
            (true, true) => "descending",
        }
    }

    /// The order in words: `name, descending`.
    pub fn sort_words(&self) -> String {
        let key = match self.sort.key {
            SortKey::Name => "name",
            SortKey::Email => "email",
            SortKey::Status => "status",
            SortKey::Updated => "last change",
            SortKey::OpenId => "open_id",
        };
        let direction = if self.sort.descending {
            "descending"
        } else {
            "ascending"
        };
        format!("{key}, {direction}")
    }

    pub fn is_filtered(&self) -> bool {
        !self.filter_pairs().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aviary_domain::model::SortValue;
    use aviary_domain::values::OpenId;

    #[test]
    fn the_form_reads_back_into_the_same_links() {
        let parsed = parse("status=suspended&search=a%26b&include_removed=on&sort=name&order=desc");
        assert_eq!(parsed.errors, FieldErrors::default());
        assert_eq!(parsed.filter.status, Some(AccountStatus::Suspended));
        assert_eq!(parsed.filter.search.as_deref(), Some("a&b"));
        assert_eq!(parsed.filter.sort, AccountSort::descending(SortKey::Name));
        assert_eq!(parsed.start, Start::First);
        let form = parsed.form;
        assert_eq!(
            form.first_page(),
            "?status=suspended&search=a%26b&include_removed=true&sort=name&order=desc"
        );
        // Name ascending is the table's default, so its link names no order.
        assert_eq!(
            form.sorted_by(SortKey::Name),
            "?status=suspended&search=a%26b&include_removed=true"
        );
        assert!(form.sorted_by(SortKey::Email).ends_with("&sort=email"));
        let cursor = AccountCursor::new(
            SortValue::Name(Some("Ann".into())),
            true,
            OpenId::parse("ou_a").unwrap(),
        );
        let next = parse(&form.after(&cursor)[1..]);
        assert_eq!(next.start, Start::After(cursor.clone()));
        let previous = parse(&form.before(&cursor)[1..]);
        assert_eq!(previous.start, Start::Before(cursor));
        assert_eq!(parse("").form.first_page(), "");
    }

    #[test]
    fn bad_values_become_field_errors() {
        let parsed = parse("status=happy&role=king&sort=size&after=garbage");
        assert!(parsed.errors.status.unwrap().contains("happy"));
        assert!(parsed.errors.role.unwrap().contains("king"));
        assert!(parsed.errors.sort.is_some());
        assert!(parsed.errors.page.is_some());
        assert_eq!(parsed.start, Start::First);
        // A cursor of the default order offered for the name order.
        let cursor = AccountCursor::new(SortValue::OpenId, false, OpenId::parse("ou_a").unwrap());
        let link = parse("").form.after(&cursor);
        let mismatched = parse(&format!("{}&sort=name", &link[1..]));
        assert!(mismatched.errors.page.is_some());
        assert!(!mismatched.errors.in_filters());
    }
}
