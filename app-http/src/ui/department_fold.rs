//! The department tree folded to a size a page can hold: from the top (or from one
//! department), sub-departments are unfolded breadth first while the page has room, whole
//! sibling lists at a time; a department whose children did not fit says how many it has and
//! links to the tree below it.

use std::collections::{HashMap, HashSet};

use aviary_domain::model::DepartmentOutline;
use aviary_domain::values::DepartmentId;

/// At most this many departments on a page (about 100 KB of HTML), besides the top ones.
pub const PAGE_BUDGET: usize = 200;

/// One shown department, in depth-first order.
#[derive(Debug)]
pub struct Shown<'a> {
    pub depth: usize,
    pub department: &'a DepartmentOutline,
    /// How many sub-departments it has that are folded away (0 when unfolded or a leaf).
    pub folded: usize,
}

/// The folded tree, and the departments above its top (when it starts below the root).
#[derive(Debug)]
pub struct Fold<'a> {
    pub shown: Vec<Shown<'a>>,
    /// The ancestors of `under`, the outermost first.
    pub path: Vec<&'a DepartmentOutline>,
}

/// Folds the tree `departments` form by `parent_id` (roots: departments whose parent is not
/// among them; children in the order given), starting at `under` or at the roots, showing at
/// most `budget` departments below the top ones. `None` when `under` is not among them.
/// Departments caught in a parent cycle (bad data) are left out, as in `department_tree`.
pub fn fold<'a>(
    departments: &'a [DepartmentOutline],
    under: Option<&DepartmentId>,
    budget: usize,
) -> Option<Fold<'a>> {
    let by_id: HashMap<&DepartmentId, &DepartmentOutline> = departments
        .iter()
        .map(|d| (&d.open_department_id, d))
        .collect();
    let mut children: HashMap<&DepartmentId, Vec<&DepartmentOutline>> = HashMap::new();
    let mut roots = Vec::new();
    for department in departments {
        match &department.parent_id {
            Some(parent)
                if by_id.contains_key(parent) && *parent != department.open_department_id =>
            {
                children.entry(parent).or_default().push(department);
            }
            _ => roots.push(department),
        }
    }
    let (tops, path) = match under {
        None => (roots, Vec::new()),
        Some(id) => {
            let top = *by_id.get(id)?;
            let mut path = Vec::new();
            let mut seen = HashSet::from([id]);
            let mut current = top.parent_id.as_ref();
            while let Some(parent) = current.and_then(|p| by_id.get(p)) {
                if !seen.insert(&parent.open_department_id) {
                    break;
                }
                path.push(*parent);
                current = parent.parent_id.as_ref();
            }
            path.reverse();
            (vec![top], path)
        }
    };
    // Unfold breadth first: a department's children all at once, while they fit.
    let mut unfolded: HashSet<&DepartmentId> = HashSet::new();
    let mut queue: std::collections::VecDeque<&DepartmentOutline> = tops.iter().copied().collect();
    let mut used = 0;
    while let Some(department) = queue.pop_front() {
        let below = children
            .get(&department.open_department_id)
            .map_or(&[][..], Vec::as_slice);
        if below.is_empty() || used + below.len() > budget {
            continue;
        }
        if unfolded.insert(&department.open_department_id) {
            used += below.len();
            queue.extend(below.iter().copied());
        }
    }
    let mut shown = Vec::with_capacity(tops.len() + used);
    let mut visited: HashSet<&DepartmentId> = HashSet::new();
    let mut stack: Vec<(&DepartmentOutline, usize)> = tops.iter().rev().map(|d| (*d, 0)).collect();
    while let Some((department, depth)) = stack.pop() {
        if !visited.insert(&department.open_department_id) {
            continue;
        }
        let below = children
            .get(&department.open_department_id)
            .map_or(&[][..], Vec::as_slice);
        let open = unfolded.contains(&department.open_department_id);
        shown.push(Shown {
            depth,
            department,
            folded: if open { 0 } else { below.len() },
        });
        if open {
            stack.extend(below.iter().rev().map(|d| (*d, depth + 1)));
        }
    }
    Some(Fold { shown, path })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn department(id: &str, parent: &str) -> DepartmentOutline {
        DepartmentOutline {
            open_department_id: DepartmentId::parse(id).unwrap(),
            department_id: None,
            name: Some(id.to_owned()),
            parent_id: Some(DepartmentId::parse(parent).unwrap()),
            removed_at: None,
        }
    }

    fn tree() -> Vec<DepartmentOutline> {
        vec![
            department("od-a", "0"),
            department("od-a1", "od-a"),
            department("od-a2", "od-a"),
            department("od-a1x", "od-a1"),
            department("od-b", "0"),
            department("od-b1", "od-b"),
        ]
    }

    fn listed<'a>(fold: &Fold<'a>) -> Vec<(usize, &'a str, usize)> {
        fold.shown
            .iter()
            .map(|s| (s.depth, s.department.open_department_id.as_str(), s.folded))
            .collect()
    }

    #[test]
    fn a_tree_within_the_budget_is_shown_whole_in_depth_first_order() {
        let departments = tree();
        let fold = fold(&departments, None, 10).unwrap();
        assert_eq!(
            listed(&fold),
            [
                (0, "od-a", 0),
                (1, "od-a1", 0),
                (2, "od-a1x", 0),
                (1, "od-a2", 0),
                (0, "od-b", 0),
                (1, "od-b1", 0)
            ]
        );
        assert!(fold.path.is_empty());
    }

    #[test]
    fn children_that_do_not_fit_are_folded_breadth_first_and_counted() {
        let departments = tree();
        // Room for od-a's two children and od-b's one, not for od-a1's.
        let fold = fold(&departments, None, 3).unwrap();
        assert_eq!(
            listed(&fold),
            [
                (0, "od-a", 0),
                (1, "od-a1", 1),
                (1, "od-a2", 0),
                (0, "od-b", 0),
                (1, "od-b1", 0)
            ]
        );
        let fold = super::fold(&departments, None, 1).unwrap();
        assert_eq!(
            listed(&fold),
            [(0, "od-a", 2), (0, "od-b", 0), (1, "od-b1", 0)]
        );
    }

    #[test]
    fn a_fold_below_a_department_starts_there_with_its_path() {
        let departments = tree();
        let under = DepartmentId::parse("od-a1").unwrap();
        let fold = fold(&departments, Some(&under), 10).unwrap();
        assert_eq!(listed(&fold), [(0, "od-a1", 0), (1, "od-a1x", 0)]);
        let path: Vec<&str> = fold
            .path
            .iter()
            .map(|d| d.open_department_id.as_str())
            .collect();
        assert_eq!(path, ["od-a"]);
        let unknown = DepartmentId::parse("od-zz").unwrap();
        assert!(super::fold(&departments, Some(&unknown), 10).is_none());
    }

    #[test]
    fn a_parent_cycle_ends() {
        let departments = vec![department("od-x", "od-y"), department("od-y", "od-x")];
        let under = DepartmentId::parse("od-x").unwrap();
        let fold = fold(&departments, Some(&under), 10).unwrap();
        assert_eq!(listed(&fold), [(0, "od-x", 0), (1, "od-y", 0)]);
        assert_eq!(fold.path.len(), 1);
    }
}
