//! The permission doctor's probes: one small first page of a department's children or direct
//! members, never followed further. Same ids and error mapping as the listings they stand in
//! for, so a refusal here is exactly what the sync would meet.

use aviary_domain::ports::{DirectoryError, RemoteDepartment, RemoteUser};
use aviary_domain::values::DepartmentId;

use super::super::mapping;
use super::super::wire::WireItems;
use super::{DEPARTMENT_ID_TYPE, LarkSession, USER_ID_TYPE, items};

/// Lark's `page_size` bounds for both listings.
fn page_size(limit: usize) -> String {
    limit.clamp(1, 50).to_string()
}

impl LarkSession {
    /// Up to `limit` direct sub-departments of `parent` (`fetch_child=false`, one page).
    pub(super) async fn first_children(
        &self,
        parent: &DepartmentId,
        limit: usize,
    ) -> Result<Vec<RemoteDepartment>, DirectoryError> {
        let size = page_size(limit);
        let query = [
            USER_ID_TYPE,
            DEPARTMENT_ID_TYPE,
            ("fetch_child", "false"),
            ("page_size", size.as_str()),
        ];
        let url = self.transport.url(
            &["contact", "v3", "departments", parent.as_str(), "children"],
            &query,
        );
        let mut page: WireItems = self
            .transport
            .get_data("departments/children", url, &format!("department {parent}"))
            .await?;
        let mut departments = Vec::new();
        for item in items("departments/children", &mut page)? {
            if let Some(department) = mapping::department_from_item(item)? {
                departments.push(department);
            }
        }
        Ok(departments)
    }

    /// Up to `limit` direct members of `department` (one `find_by_department` page).
    pub(super) async fn first_members(
        &self,
        department: &DepartmentId,
        limit: usize,
    ) -> Result<Vec<RemoteUser>, DirectoryError> {
        let size = page_size(limit);
        let query = [
            USER_ID_TYPE,
            DEPARTMENT_ID_TYPE,
            ("department_id", department.as_str()),
            ("page_size", size.as_str()),
        ];
        let url = self
            .transport
            .url(&["contact", "v3", "users", "find_by_department"], &query);
        let mut page: WireItems = self
            .transport
            .get_data(
                "users/find_by_department",
                url,
                &format!("department {department}"),
            )
            .await?;
        items("users/find_by_department", &mut page)?
            .into_iter()
            .map(mapping::user_from_item)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::page_size;

    #[test]
    fn probe_pages_stay_within_larks_bounds() {
        assert_eq!(page_size(0), "1");
        assert_eq!(page_size(10), "10");
        assert_eq!(page_size(500), "50");
    }
}
