//! Seeded installed apps: the simulator's own app first ("Aviary", a custom app visible to the
//! tenant's super administrators), then custom apps built in the tenant and store apps from Lark
//! and partners, in every status and scene type, with scopes, categories, versions and an
//! availability. Drawn from their own random stream.

use std::collections::HashSet;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::generator::{is_working, unique_name};
use super::ids::{hex, prefixed_hex};
use super::model::SimI18nName;
use super::model_apps::{NewApp, SimApp, SimAppI18n, SimAppOwner, SimAppScope, SimAppVisibility};
use super::tenant::Tenant;
use super::vocabulary_apps::{CATEGORIES, CUSTOM_APPS, SCOPES, STORE_APPS, scope_info};

const APP_STREAM: u64 = 0x5EED_A995_0000_0005;
const ABILITIES: [&str; 3] = ["gadget", "web_app", "bot"];

/// The simulator's own app's name.
pub(crate) const OWN_APP_NAME: &str = "Aviary";

/// What the generated apps may refer to.
struct Context {
    users: Vec<String>,
    departments: Vec<String>,
    groups: Vec<String>,
    domain: String,
}

/// Installs `count` apps (at least one: the simulator's own, `own_app_id`, listed first).
pub(crate) fn generate_apps(tenant: &mut Tenant, count: usize, seed: u64, own_app_id: &str) {
    let mut rng = StdRng::seed_from_u64(seed ^ APP_STREAM);
    let ctx = Context {
        users: tenant
            .live_users()
            .filter(|(_, u)| is_working(u))
            .map(|(_, u)| u.open_id.clone())
            .collect(),
        departments: tenant
            .live_departments()
            .map(|(_, d)| d.open_department_id.clone())
            .collect(),
        groups: tenant.live_groups().map(|(_, g)| g.id.clone()).collect(),
        domain: tenant.info.domain.clone(),
    };
    let managers: Vec<String> = tenant
        .live_users()
        .filter(|(_, u)| u.is_tenant_manager && is_working(u))
        .map(|(_, u)| u.open_id.clone())
        .collect();
    let creator = tenant.default_creator();
    tenant.insert_app(own_app(&mut rng, own_app_id, creator, managers));
    let mut app_ids: HashSet<String> = HashSet::from([own_app_id.to_owned()]);
    let mut names: HashSet<String> = HashSet::from([OWN_APP_NAME.to_owned()]);
    for _ in 1..count {
        let app_id = loop {
            let id = prefixed_hex(&mut rng, "cli_", 16);
            if app_ids.insert(id.clone()) {
                break id;
            }
        };
        let app = random_app(&mut rng, &ctx, app_id, &mut names);
        tenant.insert_app(app);
    }
}

fn own_app(rng: &mut StdRng, app_id: &str, creator: String, managers: Vec<String>) -> SimApp {
    let description = "Directory sync and audit for Lark.";
    SimApp {
        app_id: app_id.to_owned(),
        owner: SimAppOwner {
            owner_type: 2,
            owner_id: creator.clone(),
            ..SimAppOwner::default()
        },
        creator_id: creator,
        status: 1,
        scene_type: 0,
        payment_type: 0,
        create_source: None,
        // The registered redirect URLs and the enabled scopes are served live (`own_app.rs`).
        redirect_urls: Vec::new(),
        online_version_id: prefixed_hex(rng, "oav_", 32),
        unaudit_version_id: String::new(),
        app_name: OWN_APP_NAME.to_owned(),
        avatar_url: avatar(rng),
        description: description.to_owned(),
        scopes: Vec::new(),
        back_home_url: String::new(),
        i18n: vec![SimAppI18n {
            i18n_key: "en_us".to_owned(),
            name: OWN_APP_NAME.to_owned(),
            description: description.to_owned(),
            help_use: String::new(),
        }],
        primary_language: "en_us".to_owned(),
        common_categories: vec![category(8)],
        mobile_default_ability: "web_app".to_owned(),
        pc_default_ability: "web_app".to_owned(),
        visibility: SimAppVisibility {
            users: managers,
            ..SimAppVisibility::default()
        },
    }
}

fn random_app(
    rng: &mut StdRng,
    ctx: &Context,
    app_id: String,
    names: &mut HashSet<String>,
) -> SimApp {
    let scene_type = match rng.random_range(0..100) {
        0..60 => 0,
        60..90 => 1,
        90..97 => 2,
        _ => 3,
    };
    let status = match rng.random_range(0..100) {
        0..75 => 1,
        75..85 => 0,
        85..97 => 2,
        _ => 3,
    };
    let creator = pick(rng, &ctx.users).unwrap_or_default();
    let mut app = if scene_type == 0 {
        let (en, zh) = CUSTOM_APPS[rng.random_range(0..CUSTOM_APPS.len())];
        let spec = NewApp {
            app_name: unique_name(names, en.to_owned()),
            ..NewApp::default()
        };
        let mut app = custom_app(rng, spec, app_id, creator, &ctx.domain);
        if rng.random_ratio(3, 5) {
            // A Chinese-first app: named and described in Chinese.
            let name = app.app_name.replacen(en, zh, 1);
            app.primary_language = "zh_cn".to_owned();
            app.description = format!("内部工具：{name}。");
            app.i18n.insert(
                0,
                SimAppI18n {
                    i18n_key: "zh_cn".to_owned(),
                    name: name.clone(),
                    description: app.description.clone(),
                    help_use: String::new(),
                },
            );
            app.app_name = name;
        }
        if rng.random_ratio(1, 8) {
            // Documented as returned for Base apps only.
            app.create_source = Some("base".to_owned());
        }
        app
    } else {
        store_app(rng, app_id, creator, names)
    };
    app.scene_type = scene_type;
    app.status = status;
    if status == 2 {
        app.online_version_id.clear();
    }
    if rng.random_ratio(1, 6) {
        app.unaudit_version_id = prefixed_hex(rng, "oav_", 32);
    }
    app.visibility = random_visibility(rng, ctx);
    app
}

/// A custom app of the tenant: the spec's fields, the rest generated.
pub(crate) fn custom_app(
    rng: &mut impl Rng,
    spec: NewApp,
    app_id: String,
    creator: String,
    domain: &str,
) -> SimApp {
    let slug: String = spec
        .app_name
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let slug = if slug.trim_matches('-').is_empty() {
        hex(rng, 8)
    } else {
        slug
    };
    let description = if spec.description.is_empty() {
        format!("Internal tool: {}.", spec.app_name)
    } else {
        spec.description
    };
    let scopes = if spec.scopes.is_empty() {
        let n = rng.random_range(1..=6);
        let mut picked: Vec<&str> = Vec::with_capacity(n);
        while picked.len() < n {
            let s = SCOPES[rng.random_range(0..SCOPES.len())].scope;
            if !picked.contains(&s) {
                picked.push(s);
            }
        }
        picked.into_iter().map(scope_entry).collect()
    } else {
        spec.scopes.iter().map(|s| scope_entry(s)).collect()
    };
    let redirect_urls = (0..rng.random_range(0..=2))
        .map(|n| {
            format!(
                "https://{slug}.{domain}/callback{}",
                if n == 0 { "" } else { "/v2" }
            )
        })
        .collect();
    let back_home_url = if rng.random_bool(0.5) {
        format!("https://{slug}.{domain}/admin")
    } else {
        String::new()
    };
    let help_use = format!("https://wiki.{domain}/apps/{slug}");
    SimApp {
        app_id,
        owner: SimAppOwner {
            owner_type: 2,
            owner_id: creator.clone(),
            ..SimAppOwner::default()
        },
        creator_id: creator,
        status: spec.status.unwrap_or(1),
        scene_type: spec.scene_type.unwrap_or(0),
        payment_type: 0,
        create_source: None,
        redirect_urls,
        online_version_id: prefixed_hex(rng, "oav_", 32),
        unaudit_version_id: String::new(),
        avatar_url: avatar(rng),
        i18n: vec![SimAppI18n {
            i18n_key: "en_us".to_owned(),
            name: spec.app_name.clone(),
            description: description.clone(),
            help_use,
        }],
        app_name: spec.app_name,
        description,
        scopes,
        back_home_url,
        primary_language: "en_us".to_owned(),
        common_categories: categories(rng),
        mobile_default_ability: ABILITIES[rng.random_range(0..ABILITIES.len())].to_owned(),
        pc_default_ability: ABILITIES[rng.random_range(0..ABILITIES.len())].to_owned(),
        visibility: spec.visibility.unwrap_or(SimAppVisibility {
            all: true,
            ..SimAppVisibility::default()
        }),
    }
}

fn store_app(
    rng: &mut StdRng,
    app_id: String,
    creator: String,
    names: &mut HashSet<String>,
) -> SimApp {
    let (name, vendor, by_lark) = STORE_APPS[rng.random_range(0..STORE_APPS.len())];
    let name = unique_name(names, name.to_owned());
    let vendor_slug: String = vendor
        .to_ascii_lowercase()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let description = format!("{name} by {vendor}.");
    let scope_count = rng.random_range(2..=5);
    let mut scopes: Vec<SimAppScope> = Vec::with_capacity(scope_count);
    while scopes.len() < scope_count {
        let s = scope_entry(SCOPES[rng.random_range(0..SCOPES.len())].scope);
        if !scopes.iter().any(|x| x.scope == s.scope) {
            scopes.push(s);
        }
    }
    SimApp {
        app_id,
        creator_id: creator,
        status: 1,
        scene_type: 1,
        payment_type: u8::from(!by_lark && rng.random_ratio(1, 3)),
        create_source: None,
        redirect_urls: Vec::new(),
        online_version_id: prefixed_hex(rng, "oav_", 32),
        unaudit_version_id: String::new(),
        app_name: name.clone(),
        avatar_url: avatar(rng),
        description: description.clone(),
        scopes,
        back_home_url: String::new(),
        i18n: vec![
            SimAppI18n {
                i18n_key: "en_us".to_owned(),
                name: name.clone(),
                description: description.clone(),
                help_use: format!("https://help.{vendor_slug}.example/{}", hex(rng, 6)),
            },
            SimAppI18n {
                i18n_key: "zh_cn".to_owned(),
                name,
                description,
                help_use: String::new(),
            },
        ],
        primary_language: "en_us".to_owned(),
        common_categories: categories(rng),
        owner: SimAppOwner {
            owner_type: if by_lark { 0 } else { 1 },
            owner_id: prefixed_hex(rng, "ou_", 32),
            name: vendor.to_owned(),
            help_desk: format!(
                "https://applink.larksuite.com/client/helpdesk/open?id={}",
                rng.random_range(6_900_000_000_000_000_000..7_400_000_000_000_000_000u64)
            ),
            email: format!("support@{vendor_slug}.example"),
            phone: format!(
                "+65 6{:03} {:04}",
                rng.random_range(0..1000),
                rng.random_range(0..10_000)
            ),
            customer_service_account: if rng.random_ratio(1, 3) {
                format!("service@{vendor_slug}.example")
            } else {
                String::new()
            },
        },
        mobile_default_ability: ABILITIES[rng.random_range(0..ABILITIES.len())].to_owned(),
        pc_default_ability: ABILITIES[rng.random_range(0..ABILITIES.len())].to_owned(),
        visibility: SimAppVisibility::default(),
    }
}

fn random_visibility(rng: &mut StdRng, ctx: &Context) -> SimAppVisibility {
    if rng.random_ratio(3, 10) {
        let blocked = usize::from(rng.random_ratio(1, 10));
        return SimAppVisibility {
            all: true,
            invisible_users: pick_many(rng, &ctx.users, blocked),
            ..SimAppVisibility::default()
        };
    }
    let departments = rng.random_range(0..=3);
    let users = rng.random_range(0..=5);
    let groups = rng.random_range(0..=2);
    SimAppVisibility {
        all: false,
        departments: pick_many(rng, &ctx.departments, departments),
        users: pick_many(rng, &ctx.users, users),
        groups: pick_many(rng, &ctx.groups, groups),
        invisible_departments: Vec::new(),
        invisible_users: Vec::new(),
        invisible_groups: Vec::new(),
    }
}

/// A scope as app listings show it, described from the vocabulary (an unknown scope is described
/// by its own name, level 0 "unknown").
pub(crate) fn scope_entry(scope: &str) -> SimAppScope {
    match scope_info(scope) {
        Some(info) => SimAppScope {
            scope: info.scope.to_owned(),
            description: SimI18nName {
                zh_cn: info.zh.to_owned(),
                ja_jp: info.ja.to_owned(),
                en_us: info.en.to_owned(),
            },
            level: info.level,
        },
        None => SimAppScope {
            scope: scope.to_owned(),
            description: SimI18nName {
                zh_cn: scope.to_owned(),
                ja_jp: scope.to_owned(),
                en_us: scope.to_owned(),
            },
            level: 0,
        },
    }
}

fn category(n: usize) -> SimI18nName {
    let (zh, en, ja) = CATEGORIES[n % CATEGORIES.len()];
    SimI18nName {
        zh_cn: zh.to_owned(),
        ja_jp: ja.to_owned(),
        en_us: en.to_owned(),
    }
}

fn categories(rng: &mut impl Rng) -> Vec<SimI18nName> {
    let first = rng.random_range(0..CATEGORIES.len());
    let mut out = vec![category(first)];
    if rng.random_bool(0.4) {
        let second = rng.random_range(0..CATEGORIES.len());
        if second != first {
            out.push(category(second));
        }
    }
    out
}

fn avatar(rng: &mut impl Rng) -> String {
    format!(
        "https://sf1-ttcdn-tos.pstatp.com/img/avatar/{}~72x72.jpg",
        hex(rng, 20)
    )
}

fn pick(rng: &mut impl Rng, from: &[String]) -> Option<String> {
    (!from.is_empty()).then(|| from[rng.random_range(0..from.len())].clone())
}

/// Up to `count` distinct entries of `from`.
fn pick_many(rng: &mut impl Rng, from: &[String], count: usize) -> Vec<String> {
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
    use super::super::generator_groups::generate_groups;
    use super::*;

    #[test]
    fn apps_are_deterministic_start_with_the_own_app_and_cover_every_kind() {
        let build = || {
            let mut t = generate(300, 25, 3);
            generate_groups(&mut t, 12, 3);
            generate_apps(&mut t, 60, 3, "cli_00000000000000aa");
            t
        };
        let (a, b) = (build(), build());
        assert_eq!(a.apps(), b.apps());
        let apps = a.apps();
        assert_eq!(apps.len(), 60);
        assert_eq!(apps[0].app_id, "cli_00000000000000aa");
        assert_eq!(apps[0].app_name, OWN_APP_NAME);
        let ids: HashSet<&str> = apps.iter().map(|a| a.app_id.as_str()).collect();
        assert_eq!(ids.len(), 60);
        for status in 0..=2 {
            assert!(apps.iter().any(|a| a.status == status), "status {status}");
        }
        for scene in 0..=1 {
            assert!(apps.iter().any(|a| a.scene_type == scene), "scene {scene}");
        }
        assert!(apps.iter().any(|a| a.visibility.all));
        assert!(apps.iter().any(|a| !a.visibility.groups.is_empty()));
        assert!(apps.iter().all(|a| a.app_id.len() == 20));
        let mut small = generate(10, 2, 3);
        generate_apps(&mut small, 0, 3, "cli_00000000000000aa");
        assert_eq!(small.apps().len(), 1, "the own app is always installed");
    }
}
