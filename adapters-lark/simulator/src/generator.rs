//! Seeded tenant generator: a plausible department tree and users with every status, role and shape
//! a sync has to cope with (multi-department users, root-direct users, leaders, tenant managers,
//! departments bigger than one page). Same seed and sizes, same tenant.

use std::collections::{HashMap, HashSet};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::ids::{alnum, hex, prefixed_hex};
use super::model::{
    SimCustomAttr, SimDepartment, SimI18nName, SimTenantInfo, SimUser, SimUserStatus,
};
use super::tenant::{ROOT, Tenant};
use super::vocabulary::{
    CN_GIVEN, CN_SURNAMES, COMPANIES, COMPANY_SUFFIXES, FAMILIES, FIRST_NAMES, LAST_NAMES,
    LOCATIONS, TEAMS,
};

/// Deepest department level below the root.
const MAX_DEPTH: usize = 5;
/// Seed perturbations so the app credentials, the tenant and later additions use independent streams.
const TENANT_STREAM: u64 = 0x5EED_7E4A_A7C0_0001;
const CREDENTIAL_STREAM: u64 = 0x5EED_C4ED_0000_0002;
const EDIT_STREAM: u64 = 0x5EED_ED17_0000_0003;

/// Default app credentials for a seed: `cli_` + 16 hex, and 32 alphanumerics.
pub(crate) fn credentials(seed: u64) -> (String, String) {
    let mut rng = StdRng::seed_from_u64(seed ^ CREDENTIAL_STREAM);
    (prefixed_hex(&mut rng, "cli_", 16), alnum(&mut rng, 32))
}

/// Builds the tenant for `(users, departments, seed)`.
pub(crate) fn generate(users: usize, departments: usize, seed: u64) -> Tenant {
    let mut rng = StdRng::seed_from_u64(seed ^ TENANT_STREAM);
    let info = tenant_info(&mut rng);
    let mut tenant = Tenant::new(info, StdRng::seed_from_u64(seed ^ EDIT_STREAM));
    let families = generate_departments(&mut tenant, &mut rng, departments);
    let custom_attr_id = prefixed_hex(&mut rng, "C-", 16);
    generate_users(&mut tenant, &mut rng, users, &families, &custom_attr_id);
    assign_leaders(&mut tenant, &mut rng);
    tenant.next_employee_no = users as u64 + 1;
    tenant.next_department_no = departments as u64 + 1;
    tenant
}

fn tenant_info(rng: &mut StdRng) -> SimTenantInfo {
    let stem = COMPANIES[rng.random_range(0..COMPANIES.len())];
    let suffix = COMPANY_SUFFIXES[rng.random_range(0..COMPANY_SUFFIXES.len())];
    let slug: String = stem
        .to_ascii_lowercase()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let domain = format!("{slug}-{}.example.com", rng.random_range(10..100));
    SimTenantInfo {
        name: format!("{stem} {suffix}"),
        display_id: format!("F{:09}", rng.random_range(0..1_000_000_000u32)),
        tenant_key: hex(rng, 16),
        avatar_url: format!("https://{domain}/static/tenant-avatar"),
        domain,
    }
}

/// Creates the department tree; returns the family (index into `FAMILIES`) of every department
/// index (root included, as family 0).
fn generate_departments(tenant: &mut Tenant, rng: &mut StdRng, count: usize) -> Vec<usize> {
    let mut families = vec![0usize];
    let mut depth = vec![0usize];
    let first_level = count.min((count / 6 + 2).clamp(3, 8));
    let mut family_order: Vec<usize> = (0..FAMILIES.len()).collect();
    shuffle(rng, &mut family_order);
    let mut used_names: HashSet<String> = HashSet::new();
    // Departments that may still take children (depth < MAX_DEPTH).
    let mut open_parents: Vec<usize> = Vec::new();

    for n in 0..count {
        let (parent, family, name, zh, ja) = if n < first_level {
            let family = family_order[n % family_order.len()];
            let f = &FAMILIES[family];
            (
                ROOT,
                family,
                f.en.to_owned(),
                f.zh.to_owned(),
                f.ja.to_owned(),
            )
        } else {
            let parent = open_parents[rng.random_range(0..open_parents.len())];
            let family = families[parent];
            let f = &FAMILIES[family];
            let unit = f.units[rng.random_range(0..f.units.len())];
            if depth[parent] == 1 {
                (
                    parent,
                    family,
                    format!("{} {unit}", f.en),
                    format!("{} {unit}", f.zh),
                    format!("{} {unit}", f.ja),
                )
            } else {
                let team = TEAMS[rng.random_range(0..TEAMS.len())];
                (
                    parent,
                    family,
                    format!("{unit} {team}"),
                    format!("{}{unit} {team}", f.zh),
                    format!("{}{unit} {team}", f.ja),
                )
            }
        };
        let name = unique_name(&mut used_names, name);
        let order = (tenant.children(parent).len() as i64 + 1) * 100;
        let dept = SimDepartment {
            open_department_id: prefixed_hex(rng, "od-", 32),
            department_id: format!("D{:03}", n + 1),
            i18n_name: SimI18nName {
                zh_cn: zh,
                ja_jp: ja,
                en_us: name.clone(),
            },
            name,
            parent_open_department_id: tenant.dept(parent).open_department_id.clone(),
            leader_open_id: None,
            chat_id: prefixed_hex(rng, "oc_", 32),
            order,
            unit_ids: Vec::new(),
        };
        let idx = tenant.insert_department(dept, parent);
        families.push(family);
        depth.push(depth[parent] + 1);
        if depth[idx] < MAX_DEPTH {
            open_parents.push(idx);
        }
    }
    families
}

pub(crate) fn unique_name(used: &mut HashSet<String>, base: String) -> String {
    if used.insert(base.clone()) {
        return base;
    }
    (2..)
        .map(|n| format!("{base} {n}"))
        .find(|candidate| used.insert(candidate.clone()))
        .unwrap_or(base)
}

/// Everything about a person that does not depend on where they sit.
pub(crate) struct Person {
    pub(crate) name: String,
    pub(crate) en_name: String,
    pub(crate) email_stem: String,
}

pub(crate) fn random_person(rng: &mut impl Rng) -> Person {
    if rng.random_ratio(1, 5) {
        let (sh, sp) = CN_SURNAMES[rng.random_range(0..CN_SURNAMES.len())];
        let (gh, gp) = CN_GIVEN[rng.random_range(0..CN_GIVEN.len())];
        Person {
            name: format!("{sh}{gh}"),
            en_name: format!("{gp} {sp}"),
            email_stem: format!("{}.{}", gp, sp).to_ascii_lowercase(),
        }
    } else {
        let first = FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())];
        let last = LAST_NAMES[rng.random_range(0..LAST_NAMES.len())];
        let name = format!("{first} {last}");
        Person {
            en_name: name.clone(),
            name,
            email_stem: email_stem(&format!("{first}.{last}")),
        }
    }
}

/// Lowercase ASCII local part from a display name ("Min-jun Kim" → "min-jun.kim").
pub(crate) fn email_stem(name: &str) -> String {
    let stem: String = name
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('.'),
            c if c.is_ascii_alphanumeric() || c == '.' || c == '-' => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect();
    if stem.is_empty() {
        "user".to_owned()
    } else {
        stem
    }
}

/// Generated user with everything but departments, leaders and roles.
pub(crate) fn random_user(
    rng: &mut impl Rng,
    person: Person,
    email: String,
    employee_no: u64,
    domain: &str,
) -> SimUser {
    let (city, country, phone_cc, geo) = LOCATIONS[rng.random_range(0..LOCATIONS.len())];
    let user_id = hex(rng, 8);
    let nickname = if rng.random_ratio(3, 20) {
        person
            .en_name
            .split(' ')
            .next()
            .unwrap_or_default()
            .to_owned()
    } else {
        String::new()
    };
    let enterprise_email = if rng.random_ratio(3, 5) {
        email.clone()
    } else {
        String::new()
    };
    let work_station = if rng.random_bool(0.5) {
        format!(
            "{}{}-{:03}",
            char::from(b'A' + rng.random_range(0..4u8)),
            rng.random_range(1..20),
            rng.random_range(1..300)
        )
    } else {
        String::new()
    };
    let employee_type = match rng.random_range(0..100) {
        0..80 => 1,
        80..85 => 2,
        85..92 => 3,
        92..97 => 4,
        _ => 5,
    };
    SimUser {
        open_id: prefixed_hex(rng, "ou_", 32),
        union_id: prefixed_hex(rng, "on_", 32),
        avatar_url: format!("https://{domain}/static/avatar/{user_id}"),
        user_id,
        name: person.name,
        en_name: person.en_name,
        nickname,
        email,
        enterprise_email,
        mobile: format!(
            "+{phone_cc}{}{:08}",
            rng.random_range(2..10),
            rng.random_range(0..100_000_000u32)
        ),
        mobile_visible: rng.random_bool(0.8),
        gender: match rng.random_range(0..20) {
            0 => 0,
            1 => 3,
            2..11 => 1,
            _ => 2,
        },
        status: SimUserStatus::active(),
        department_ids: Vec::new(),
        leader_open_id: None,
        dotted_line_leader_open_ids: Vec::new(),
        city: city.to_owned(),
        country: country.to_owned(),
        work_station,
        // 2015-01-01 .. 2025-06-01
        join_time: rng.random_range(1_420_070_400..1_748_736_000),
        is_tenant_manager: false,
        employee_no: format!("E{employee_no:06}"),
        employee_type,
        job_title: String::new(),
        geo: geo.to_owned(),
        user_order: rng.random_range(0..1000),
        custom_attrs: Vec::new(),
    }
}

fn generate_users(
    tenant: &mut Tenant,
    rng: &mut StdRng,
    count: usize,
    families: &[usize],
    custom_attr_id: &str,
) {
    let dept_count = families.len() - 1;
    // A few percent sit directly under the root; everyone sits there when there are no departments.
    let root_direct = if dept_count == 0 {
        count
    } else if count >= 10 {
        (count / 50).max(1)
    } else {
        0
    };
    // One department larger than a page (50) whenever the tenant is big enough, so paging is real.
    let big_dept = if dept_count > 0 && count >= 120 {
        Some((
            1 + rng.random_range(0..dept_count),
            (count / 50).max(60).min(count * 3 / 10),
        ))
    } else {
        None
    };
    // Zipf-like weights over a shuffled department order: a few large departments, a long tail.
    let mut order: Vec<usize> = (1..=dept_count).collect();
    shuffle(rng, &mut order);
    let mut cumulative = Vec::with_capacity(dept_count);
    let mut total = 0.0f64;
    for rank in 0..dept_count {
        total += 1.0 / ((rank + 1) as f64).powf(0.9);
        cumulative.push(total);
    }
    let pick_dept = |rng: &mut StdRng| -> usize {
        let x = rng.random::<f64>() * total;
        let pos = cumulative.partition_point(|&c| c < x).min(dept_count - 1);
        order[pos]
    };

    let domain = tenant.info.domain.clone();
    let mut email_counts: HashMap<String, u32> = HashMap::with_capacity(count);
    let mut seen_uids: HashSet<String> = HashSet::with_capacity(count);
    for n in 0..count {
        let person = random_person(rng);
        let seen = email_counts.entry(person.email_stem.clone()).or_insert(0);
        *seen += 1;
        let email = if *seen == 1 {
            format!("{}@{domain}", person.email_stem)
        } else {
            format!("{}{}@{domain}", person.email_stem, *seen)
        };
        let mut user = random_user(rng, person, email, n as u64 + 1, &domain);
        while !seen_uids.insert(user.user_id.clone()) {
            // 8 hex digits collide around 100k users; Lark's user_id is tenant-unique.
            user.user_id = hex(rng, 8);
        }
        let primary = if n < root_direct {
            ROOT
        } else if let Some((big, _)) = big_dept.filter(|&(_, size)| n < root_direct + size) {
            big
        } else {
            pick_dept(rng)
        };
        let mut depts = vec![primary];
        if primary != ROOT && dept_count >= 2 && rng.random_ratio(3, 100) {
            let second = pick_dept(rng);
            if second != primary {
                depts.push(second);
            }
        }
        user.status = match rng.random_range(0..1000) {
            0..20 => SimUserStatus {
                is_frozen: true,
                ..SimUserStatus::active()
            },
            20..40 => SimUserStatus {
                is_unjoin: true,
                ..SimUserStatus::default()
            },
            40..60 => SimUserStatus::default(),
            60..65 => SimUserStatus {
                is_exited: true,
                ..SimUserStatus::active()
            },
            _ => SimUserStatus::active(),
        };
        let family = &FAMILIES[families[primary]];
        if rng.random_ratio(97, 100) {
            user.job_title = family.titles[rng.random_range(0..family.titles.len())].to_owned();
        }
        if rng.random_ratio(1, 10) {
            user.custom_attrs.push(SimCustomAttr {
                id: custom_attr_id.to_owned(),
                text: format!("L{}", rng.random_range(1..10)),
            });
        }
        user.department_ids = depts
            .iter()
            .map(|&d| tenant.dept(d).open_department_id.clone())
            .collect();
        tenant.insert_user(user, depts);
    }
}

/// Department leaders (a member of the department or its subtree), managers, dotted lines, CEO
/// and tenant managers.
fn assign_leaders(tenant: &mut Tenant, rng: &mut StdRng) {
    let dept_total = tenant.depts.len();
    // Children always have larger indexes than parents, so a reverse walk sees subtrees first.
    let mut leader: Vec<Option<usize>> = vec![None; dept_total];
    for d in (1..dept_total).rev() {
        let members = tenant.members(d);
        let direct = members
            .iter()
            .copied()
            .find(|&u| tenant.user(u).is_some_and(is_working))
            .or_else(|| members.first().copied());
        leader[d] = direct.or_else(|| tenant.children(d).iter().find_map(|&c| leader[c]));
    }
    let ceo = tenant
        .members(ROOT)
        .iter()
        .copied()
        .find(|&u| tenant.user(u).is_some_and(is_working));
    leader[ROOT] = ceo;

    let mut leaders_of: Vec<usize> = Vec::new();
    for (d, &l) in leader.iter().enumerate().skip(1) {
        let Some(l) = l else { continue };
        let open_id = open_id_of(tenant, l);
        tenant.depts[d].dept.leader_open_id = Some(open_id);
        leaders_of.push(l);
        let dept_name = tenant.dept(d).name.clone();
        if let Some(rec) = tenant.users[l].as_mut() {
            rec.user.job_title = if tenant.depts[d].parent == ROOT {
                format!("VP, {dept_name}")
            } else {
                format!("Head of {dept_name}")
            };
        }
    }
    if let Some(ceo) = ceo
        && let Some(rec) = tenant.users[ceo].as_mut()
    {
        rec.user.job_title = "Chief Executive Officer".to_owned();
        rec.user.is_tenant_manager = true;
    }

    // Direct manager: the leader of the primary department, or the first leader up the tree when
    // the user leads that department.
    let user_total = tenant.users.len();
    for u in 0..user_total {
        let Some(rec) = tenant.users[u].as_ref() else {
            continue;
        };
        let Some(&primary) = rec.depts.first() else {
            continue;
        };
        let mut cur = primary;
        let manager = loop {
            match leader[cur] {
                Some(l) if l != u => break Some(l),
                _ if cur == ROOT => break None,
                _ => cur = tenant.depts[cur].parent,
            }
        };
        let manager_open = manager.map(|m| open_id_of(tenant, m));
        let dotted = if !leaders_of.is_empty() && rng.random_ratio(1, 20) {
            let l = leaders_of[rng.random_range(0..leaders_of.len())];
            (l != u && Some(l) != manager).then(|| open_id_of(tenant, l))
        } else {
            None
        };
        if let Some(rec) = tenant.users[u].as_mut() {
            rec.user.leader_open_id = manager_open;
            rec.user.dotted_line_leader_open_ids = dotted.into_iter().collect();
        }
    }

    // A handful of tenant super admins besides the CEO.
    let wanted = (user_total / 100).clamp(1, 4);
    let mut added = 0;
    for _ in 0..wanted * 8 {
        if user_total == 0 || added == wanted {
            break;
        }
        let u = rng.random_range(0..user_total);
        if let Some(rec) = tenant.users[u].as_mut()
            && is_working(&rec.user)
            && !rec.user.is_tenant_manager
        {
            rec.user.is_tenant_manager = true;
            added += 1;
        }
    }
}

/// Active and able to sign in: activated, not frozen, exited, resigned or still invited.
pub(crate) fn is_working(user: &SimUser) -> bool {
    let s = user.status;
    s.is_activated && !s.is_frozen && !s.is_exited && !s.is_resigned && !s.is_unjoin
}

fn open_id_of(tenant: &Tenant, idx: usize) -> String {
    tenant
        .user(idx)
        .map(|u| u.open_id.clone())
        .unwrap_or_default()
}

fn shuffle<T>(rng: &mut StdRng, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = rng.random_range(0..=i);
        items.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    fn snapshot(t: &Tenant) -> (Vec<SimUser>, Vec<SimDepartment>) {
        (
            t.live_users().map(|(_, u)| u.clone()).collect(),
            t.live_departments().map(|(_, d)| d.clone()).collect(),
        )
    }

    #[test]
    fn same_seed_same_tenant_and_different_seed_differs() {
        let a = generate(300, 25, 42);
        let b = generate(300, 25, 42);
        let c = generate(300, 25, 43);
        assert_eq!(snapshot(&a), snapshot(&b));
        assert_eq!(a.info, b.info);
        assert_ne!(snapshot(&a).0, snapshot(&c).0);
        assert_eq!(credentials(42), credentials(42));
        assert_ne!(credentials(42), credentials(43));
        let (app_id, secret) = credentials(1);
        assert!(app_id.starts_with("cli_") && app_id.len() == 20);
        assert_eq!(secret.len(), 32);
    }

    #[test]
    fn default_sized_tenant_has_every_shape() {
        let t = generate(200, 20, 1);
        let users: Vec<&SimUser> = t.live_users().map(|(_, u)| u).collect();
        assert_eq!(users.len(), 200);
        assert_eq!(t.live_departments().count(), 20);
        assert!(
            users.iter().any(|u| u.department_ids.len() >= 2),
            "multi-department user"
        );
        assert!(
            users.iter().any(|u| u.department_ids == ["0"]),
            "root-direct user"
        );
        assert!(users.iter().any(|u| u.is_tenant_manager));
        assert!(users.iter().any(|u| u.status.is_frozen));
        assert!(users.iter().any(|u| !u.status.is_activated));
        assert!(!users.iter().any(|u| u.status.is_resigned));
        assert!(
            (1..t.depts.len()).any(|d| t.members(d).len() > 50),
            "a department above one page"
        );
        let first_level = t.children(ROOT).len();
        assert!((3..=8).contains(&first_level), "{first_level}");
        // Every department with people in its subtree has a leader from that subtree.
        for (d, dept) in t.live_departments() {
            let subtree = t.subtree(d, usize::MAX).unwrap_or_default();
            let has_people =
                !t.members(d).is_empty() || subtree.iter().any(|&s| !t.members(s).is_empty());
            if has_people {
                let leader = dept.leader_open_id.as_deref().unwrap_or_default();
                let l = t.user_by_open_id(leader).map(|u| u.department_ids.clone());
                let l = l.unwrap_or_default();
                let inside = l.iter().any(|id| {
                    t.dept_idx(super::super::tenant::DeptIdType::OpenDepartmentId, id)
                        .is_some_and(|x| x == d || subtree.contains(&x))
                });
                assert!(inside, "leader of {} sits outside it", dept.name);
            }
        }
        // Emails are unique and on the tenant's domain.
        let emails: HashSet<&str> = users.iter().map(|u| u.email.as_str()).collect();
        assert_eq!(emails.len(), users.len());
        assert!(users.iter().all(|u| u.email.ends_with(&t.info.domain)));
    }

    #[test]
    fn large_tenant_generates_quickly() {
        let started = Instant::now();
        let t = generate(100_000, 2_000, 9);
        let elapsed = started.elapsed();
        assert_eq!(t.live_users().count(), 100_000);
        assert_eq!(t.live_departments().count(), 2_000);
        let uids: HashSet<&str> = t.live_users().map(|(_, u)| u.user_id.as_str()).collect();
        assert_eq!(uids.len(), 100_000);
        let counts = t.member_counts();
        assert_eq!(counts.members[ROOT], 100_000);
        // Debug builds are several times slower than release; the 2 s target is for release.
        assert!(elapsed.as_secs() < 20, "generation took {elapsed:?}");
        eprintln!("100k users / 2k departments generated in {elapsed:?}");
        let mut t = t;
        let started = Instant::now();
        super::super::generator_groups::generate_groups(&mut t, 300, 9);
        super::super::generator_apps::generate_apps(&mut t, 300, 9, "cli_0000000000000009");
        let elapsed = started.elapsed();
        assert_eq!((t.live_groups().count(), t.apps().len()), (300, 300));
        assert!(elapsed.as_secs() < 2, "groups and apps took {elapsed:?}");
        eprintln!("300 groups / 300 apps generated in {elapsed:?}");
    }
}
