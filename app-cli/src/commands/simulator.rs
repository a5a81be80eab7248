//! `aviary simulator`: serve a simulated Lark tenant until Ctrl-C.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use anyhow::Context;
use aviary_lark_simulator::{Simulator, SimulatorConfig};

use crate::cli::SimulatorArgs;

pub async fn run(args: SimulatorArgs) -> anyhow::Result<ExitCode> {
    let config = SimulatorConfig {
        users: args.users,
        departments: args.departments,
        groups: args.groups,
        apps: args.apps,
        seed: args.seed,
        rate_limits: !args.no_rate_limits,
        ..SimulatorConfig::default()
    };
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    let handle = Simulator::start(config, address)
        .await
        .with_context(|| format!("cannot start the simulator on {address}"))?;
    say!(
        "Simulated Lark tenant running ({} users, {} departments, {} user groups, {} installed apps).",
        args.users,
        args.departments,
        args.groups,
        args.apps.max(1)
    )?;
    say!("Base URL:   {}", handle.base_url())?;
    say!("App ID:     {}", handle.app_id())?;
    say!("App Secret: {}", handle.app_secret())?;
    say!("")?;
    say!("Connect it from another terminal (the simulator is a custom base URL, which the")?;
    say!("operator allows with AVIARY_LARK__ALLOW_CUSTOM_BASE_URL=true):")?;
    say!("  export AVIARY_LARK__ALLOW_CUSTOM_BASE_URL=true")?;
    say!(
        "  echo '{}' | aviary integration add --label sim --app-id {} --base-url {} --app-secret-stdin",
        handle.app_secret(),
        handle.app_id(),
        handle.base_url()
    )?;
    say!("  aviary sync sim")?;
    say!("Press Ctrl-C to stop.")?;
    aviary_wiring::signals::stop_requested().await;
    handle.stop().await;
    Ok(ExitCode::SUCCESS)
}
