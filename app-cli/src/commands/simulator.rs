//! `aviary simulator`: serve a simulated Lark tenant until Ctrl-C.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use anyhow::Context;
use aviary_adapters_lark::simulator::{Simulator, SimulatorConfig};

use crate::cli::SimulatorArgs;

pub async fn run(args: SimulatorArgs) -> anyhow::Result<ExitCode> {
    let config = SimulatorConfig {
        users: args.users,
        departments: args.departments,
        seed: args.seed,
        rate_limits: !args.no_rate_limits,
        ..SimulatorConfig::default()
    };
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    let handle = Simulator::start(config, address)
        .await
        .with_context(|| format!("cannot start the simulator on {address}"))?;
    println!(
        "Simulated Lark tenant running ({} users, {} departments).",
        args.users, args.departments
    );
    println!("Base URL:   {}", handle.base_url());
    println!("App ID:     {}", handle.app_id());
    println!("App Secret: {}", handle.app_secret());
    println!();
    println!("Connect it from another terminal:");
    println!(
        "  echo '{}' | aviary integration add --label sim --app-id {} --base-url {} --app-secret-stdin",
        handle.app_secret(),
        handle.app_id(),
        handle.base_url()
    );
    println!("  aviary sync sim");
    println!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c()
        .await
        .context("cannot wait for Ctrl-C")?;
    handle.stop().await;
    Ok(ExitCode::SUCCESS)
}
