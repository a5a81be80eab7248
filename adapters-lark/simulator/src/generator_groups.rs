//! Seeded user groups: every fourth group dynamic (user members only), the normal ones with user
//! members, department members or both, from a handful to a few dozen members, about half with a
//! department scope list. Drawn from their own random stream, so the users and departments of a
//! seed do not depend on how many groups are asked for.

use std::collections::HashSet;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::generator::unique_name;
use super::model_groups::{SimGroup, SimGroupType};
use super::tenant::Tenant;
use super::tenant_groups::fresh_group_ids;
use super::vocabulary_apps::{DYNAMIC_GROUP_NAMES, GROUP_NAMES};

const GROUP_STREAM: u64 = 0x5EED_6A0B_0000_0004;

/// Adds `count` groups to a generated tenant.
pub(crate) fn generate_groups(tenant: &mut Tenant, count: usize, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed ^ GROUP_STREAM);
    let users: Vec<String> = tenant
        .live_users()
        .filter(|(_, u)| !u.status.is_resigned)
        .map(|(_, u)| u.open_id.clone())
        .collect();
    let departments: Vec<String> = tenant
        .live_departments()
        .map(|(_, d)| d.open_department_id.clone())
        .collect();
    let mut names: HashSet<String> = HashSet::new();
    for n in 0..count {
        let dynamic = n % 4 == 3;
        let (name, description) = if dynamic {
            DYNAMIC_GROUP_NAMES[rng.random_range(0..DYNAMIC_GROUP_NAMES.len())]
        } else {
            GROUP_NAMES[rng.random_range(0..GROUP_NAMES.len())]
        };
        // Normal groups take turns: users and departments, users only, departments (and a few
        // users); dynamic groups have users only.
        let (with_users, with_departments) = match n % 4 {
            0 => (true, true),
            1 | 3 => (true, false),
            _ => (rng.random_ratio(1, 2), true),
        };
        let user_count = if with_users {
            match rng.random_range(0..10) {
                0..3 => rng.random_range(1..=4),
                3..8 => rng.random_range(5..=15),
                _ => rng.random_range(16..=40),
            }
        } else {
            0
        };
        let department_count = if with_departments {
            rng.random_range(1..=3)
        } else {
            0
        };
        let scope_count = if rng.random_ratio(1, 2) {
            0
        } else {
            rng.random_range(1..=2)
        };
        let (id, group_id) = fresh_group_ids(&mut rng, |id| tenant.group_id_taken(id));
        let group = SimGroup {
            id,
            group_id,
            name: unique_name(&mut names, name.to_owned()),
            description: description.to_owned(),
            group_type: if dynamic {
                SimGroupType::Dynamic
            } else {
                SimGroupType::Normal
            },
            member_user_ids: sample(&mut rng, &users, user_count),
            member_department_ids: sample(&mut rng, &departments, department_count),
            department_scope_list: sample(&mut rng, &departments, scope_count),
        };
        let inserted = tenant.insert_group(group);
        debug_assert!(inserted.is_ok(), "{inserted:?}");
    }
}

/// Up to `count` distinct entries of `from`, in the order drawn.
fn sample(rng: &mut StdRng, from: &[String], count: usize) -> Vec<String> {
    let count = count.min(from.len());
    let mut picked: Vec<usize> = Vec::with_capacity(count);
    while picked.len() < count {
        let i = rng.random_range(0..from.len());
        if !picked.contains(&i) {
            picked.push(i);
        }
    }
    picked.into_iter().map(|i| from[i].clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::super::generator::generate;
    use super::*;

    #[test]
    fn groups_are_deterministic_and_of_every_shape() {
        let mut a = generate(300, 25, 5);
        let mut b = generate(300, 25, 5);
        generate_groups(&mut a, 12, 5);
        generate_groups(&mut b, 12, 5);
        let groups: Vec<SimGroup> = a.live_groups().map(|(_, g)| g.clone()).collect();
        let again: Vec<SimGroup> = b.live_groups().map(|(_, g)| g.clone()).collect();
        assert_eq!(groups, again);
        assert_eq!(groups.len(), 12);
        let dynamic: Vec<&SimGroup> = groups
            .iter()
            .filter(|g| g.group_type == SimGroupType::Dynamic)
            .collect();
        assert_eq!(dynamic.len(), 3);
        assert!(dynamic.iter().all(|g| g.member_department_ids.is_empty()));
        let normal = || {
            groups
                .iter()
                .filter(|g| g.group_type == SimGroupType::Normal)
        };
        assert!(normal().any(|g| !g.member_user_ids.is_empty()));
        assert!(normal().any(|g| !g.member_department_ids.is_empty()));
        assert!(groups.iter().any(|g| g.department_scope_list.is_empty()));
        assert!(groups.iter().any(|g| !g.department_scope_list.is_empty()));
        for g in &groups {
            assert!(g.id.starts_with('g') && g.id[1..].chars().all(|c| c.is_ascii_digit()));
            assert_eq!(g.group_id.len(), 16);
            assert!(g.group_id.chars().all(|c| c.is_ascii_hexdigit()));
            assert_ne!(g.id, g.group_id);
            assert!(g.member_user_ids.len() <= 40);
        }
    }
}
