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

/// Levels the tree nests at most. Deeper departments are listed, each with its `parent_id`, as
/// children of their ancestor on the last level: nothing is lost, and a chain as deep as a
/// broken or hostile upstream can make (100k levels) is neither built nor serialised
/// recursively.
pub const MAX_TREE_DEPTH: usize = 64;

type Children = HashMap<String, Vec<DepartmentView>>;

/// Nests flat departments by `parent_id`. Roots are the departments whose parent is not in
/// the list (`"0"`, the tenant root, or a parent outside the app's contact scope). Departments
/// caught in a parent cycle (bad data) are left out rather than looped over. Below
/// [`MAX_TREE_DEPTH`] levels the tree is flattened.
pub fn department_tree(flat: Vec<DepartmentView>) -> Vec<DepartmentNode> {
    let ids: std::collections::HashSet<String> = flat.iter().map(|d| d.id.clone()).collect();
    let mut children: Children = HashMap::new();
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
        .filter_map(|root| nest(root, &mut children))
        .collect()
}

/// A department being nested: its sub-departments still to nest and those nested.
struct Frame {
    department: DepartmentView,
    pending: std::vec::IntoIter<DepartmentView>,
    nested: Vec<DepartmentNode>,
    depth: usize,
}

impl Frame {
    fn new(department: DepartmentView, depth: usize, children: &mut Children) -> Self {
        let below = children.remove(&department.id).unwrap_or_default();
        Self {
            department,
            pending: below.into_iter(),
            nested: Vec::new(),
            depth,
        }
    }

    fn into_node(self) -> DepartmentNode {
        DepartmentNode {
            department: self.department,
            children: self.nested,
        }
    }
}

/// `root` with everything below it, depth first with an explicit stack (`None` cannot happen:
/// the root's frame is the last one popped).
fn nest(root: DepartmentView, children: &mut Children) -> Option<DepartmentNode> {
    let mut stack = vec![Frame::new(root, 1, children)];
    while let Some(top) = stack.last_mut() {
        if let Some(child) = top.pending.next() {
            if top.depth < MAX_TREE_DEPTH {
                let depth = top.depth + 1;
                stack.push(Frame::new(child, depth, children));
            } else {
                let flat = flatten(child, children);
                top.nested.extend(flat);
            }
            continue;
        }
        let node = stack.pop().map(Frame::into_node);
        match (stack.last_mut(), node) {
            (Some(parent), Some(node)) => parent.nested.push(node),
            (None, node) => return node,
            (Some(_), None) => {}
        }
    }
    None
}

/// `department` and all its descendants as leaves, depth first.
fn flatten(department: DepartmentView, children: &mut Children) -> Vec<DepartmentNode> {
    let mut leaves = Vec::new();
    let mut stack = vec![department];
    while let Some(current) = stack.pop() {
        let mut below = children.remove(&current.id).unwrap_or_default();
        below.reverse();
        stack.extend(below);
        leaves.push(DepartmentNode {
            department: current,
            children: Vec::new(),
        });
    }
    leaves
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(id: &str, parent: &str) -> DepartmentView {
        DepartmentView {
            id: id.to_owned(),
            department_id: None,
            name: Some(format!("Department {id}")),
            parent_id: Some(parent.to_owned()),
            leader_open_id: None,
            member_count: None,
            removed_at: None,
            presence: "present",
        }
    }

    fn ids(nodes: &[DepartmentNode]) -> Vec<(String, Vec<String>)> {
        nodes
            .iter()
            .map(|n| {
                let below = n.children.iter().map(|c| c.department.id.clone()).collect();
                (n.department.id.clone(), below)
            })
            .collect()
    }

    /// Levels below `node`, counted without recursion.
    fn depth(node: &DepartmentNode) -> usize {
        let mut deepest = 0;
        let mut stack = vec![(node, 1)];
        while let Some((current, level)) = stack.pop() {
            deepest = deepest.max(level);
            stack.extend(current.children.iter().map(|c| (c, level + 1)));
        }
        deepest
    }

    #[test]
    fn departments_nest_under_their_parents_in_the_order_listed_and_cycles_are_left_out() {
        let flat = vec![
            view("a", "0"),
            view("b", "a"),
            view("c", "a"),
            view("d", "b"),
            view("x", "y"),
            view("y", "x"),
        ];
        let tree = department_tree(flat);
        assert_eq!(
            ids(&tree),
            [("a".to_owned(), vec!["b".to_owned(), "c".to_owned()])]
        );
        assert_eq!(
            ids(&tree[0].children)[0],
            ("b".to_owned(), vec!["d".to_owned()])
        );
    }

    #[test]
    fn a_chain_of_a_hundred_thousand_departments_is_nested_to_the_cap_and_nothing_is_lost() {
        const CHAIN: usize = 100_000;
        let flat: Vec<DepartmentView> = (0..CHAIN)
            .map(|i| {
                let parent = if i == 0 {
                    "0".to_owned()
                } else {
                    format!("d{}", i - 1)
                };
                view(&format!("d{i}"), &parent)
            })
            .collect();
        let tree = department_tree(flat);
        assert_eq!(tree.len(), 1);
        assert_eq!(depth(&tree[0]), MAX_TREE_DEPTH + 1);
        let mut count = 0;
        let mut stack: Vec<&DepartmentNode> = tree.iter().collect();
        while let Some(node) = stack.pop() {
            count += 1;
            stack.extend(node.children.iter());
        }
        assert_eq!(count, CHAIN, "every department is in the tree");
        let json = serde_json::to_string(&tree).unwrap();
        assert!(json.contains("\"d99999\""));
    }
}
