//! `aviary demo`: a simulated tenant, connected as integration "demo", synced and shown.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use anyhow::Context;
use aviary_adapters_lark::simulator::{Simulator, SimulatorConfig};
use aviary_domain::model::Region;
use aviary_domain::usecases::{AccountFilter, LookupError, NewIntegration, find_integration};
use secrecy::SecretString;

use crate::cli::{DemoArgs, OutputFormat};
use crate::commands::Ctx;
use crate::commands::accounts::print_accounts;
use crate::commands::sync::sync_and_report;
use crate::views::{AccountView, department_names};

const LABEL: &str = "demo";
const SHOWN: usize = 15;

pub async fn run(ctx: &Ctx, args: DemoArgs) -> anyhow::Result<ExitCode> {
    let config = SimulatorConfig {
        users: args.users,
        departments: args.departments,
        seed: 7,
        ..SimulatorConfig::default()
    };
    let simulator = Simulator::start(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .context("cannot start the simulated tenant")?;
    eprintln!(
        "Started a simulated Lark tenant at {} ({} users).",
        simulator.base_url(),
        args.users
    );

    // The simulator listens on a new port each time: replace an earlier demo integration.
    match find_integration(ctx.services.integrations.as_ref(), LABEL).await {
        Ok(old) => ctx.services.integrations.delete(old.id).await?,
        Err(LookupError::Unknown(_)) => {}
        Err(other) => return Err(other.into()),
    }
    let integration = ctx
        .services
        .register
        .execute(NewIntegration {
            label: LABEL.to_owned(),
            region: Region::Lark,
            base_url: Some(simulator.base_url()),
            app_id: simulator.app_id().to_owned(),
            app_secret: SecretString::from(simulator.app_secret().to_owned()),
            verify: true,
            rate_limits: ctx.services.settings.lark.rate_limits(),
        })
        .await?;
    eprintln!(
        "Registered integration \"{LABEL}\" ({}). Syncing…",
        integration.id
    );
    let (_, code) = sync_and_report(ctx, LABEL, false, false, true).await?;

    let accounts = ctx
        .services
        .queries
        .accounts(integration.id, &AccountFilter::default())
        .await?;
    let names = department_names(
        &ctx.services
            .queries
            .departments(integration.id, false)
            .await?,
    );
    let views: Vec<AccountView> = accounts
        .iter()
        .take(SHOWN)
        .map(|a| AccountView::new(a, &names))
        .collect();
    say!("")?;
    print_accounts(OutputFormat::Table, &views)?;
    say!("({} of {} accounts shown)", views.len(), accounts.len())?;
    say!("")?;
    say!("Next:")?;
    say!("  aviary accounts list --integration {LABEL} --status suspended")?;
    say!("  aviary accounts list --integration {LABEL} --role tenant_admin --output json")?;
    say!("  aviary departments list --integration {LABEL}")?;
    say!("  aviary runs list --integration {LABEL}")?;
    if args.exit {
        simulator.stop().await;
        return Ok(code);
    }
    say!("  aviary sync {LABEL}        # resync: nothing changed, nothing written")?;
    say!("")?;
    say!(
        "The simulated tenant keeps running at {} until you press Ctrl-C,",
        simulator.base_url()
    )?;
    say!("so the commands above work from another terminal.")?;
    tokio::signal::ctrl_c()
        .await
        .context("cannot wait for Ctrl-C")?;
    simulator.stop().await;
    Ok(code)
}
