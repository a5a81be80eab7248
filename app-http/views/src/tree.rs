//! The department tree view: each department with its sub-departments nested under
//! `children` (`GET …/departments?shape=tree`).

use std::collections::HashMap;

use serde::Serialize;
use utoipa::ToSchema;

use super::DepartmentView;

/// A department and, nested, its sub-departments (ordered as listed).
#[derive(Debug, Serialize, ToSchema)]
pub struct DepartmentNode {
    #[serde(flatten)]
    pub department: DepartmentView,
    #[schema(no_recursion)]
    pub children: Vec<DepartmentNode>,
}

/// Nests flat departments by `parent_id`. Roots are the departments whose parent is not in
/// the list (`"0"`, the tenant root, or a parent outside the app's contact scope). Departments
/// caught in a parent cycle (bad data) are left out rather than looped over.
pub fn department_tree(flat: Vec<DepartmentView>) -> Vec<DepartmentNode> {
    let ids: std::collections::HashSet<String> = flat.iter().map(|d| d.id.clone()).collect();
    let mut children: HashMap<String, Vec<DepartmentView>> = HashMap::new();
    let mut roots = Vec::new();
    for department in flat {
        match department.parent_id.clone() {
            Some(parent) if ids.contains(&parent) && parent != department.id => {
                children.entry(parent).or_default().push(department);
            }
            _ => roots.push(department),
        }
    }
    roots
        .into_iter()
        .map(|root| nest(root, &mut children))
        .collect()
}

fn nest(
    department: DepartmentView,
    children: &mut HashMap<String, Vec<DepartmentView>>,
) -> DepartmentNode {
    let below = children.remove(&department.id).unwrap_or_default();
    DepartmentNode {
        children: below.into_iter().map(|c| nest(c, children)).collect(),
        department,
    }
}
