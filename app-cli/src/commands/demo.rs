//! `aviary demo`: a simulated tenant, connected as integration "demo" through the real OAuth
//! login (the simulator approves it without a browser), synced and shown; a demo admin with a
//! fresh random password on every run, printed with the URL; and the web UI served until
//! Ctrl-C (`--exit` stops before serving).

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use anyhow::Context;
use aviary_app_http::server;
use aviary_domain::model::{Integration, Region};
use aviary_domain::usecases::connect::{Callback, Connected, LoginOptions, RedirectUris};
use aviary_domain::usecases::{AccountFilter, AdminError, LookupError, NewIntegration};
use aviary_lark_simulator::{ConsentMode, Simulator, SimulatorConfig, SimulatorHandle};
use rand::distr::{Alphanumeric, SampleString as _};
use secrecy::{ExposeSecret as _, SecretString};

use crate::cli::{DemoArgs, OutputFormat};
use crate::commands::Ctx;
use crate::commands::accounts::print_accounts;
use crate::commands::sync::sync_and_report;
use crate::views::{AccountView, department_names};

const LABEL: &str = "demo";
const SHOWN: usize = 15;
/// Who started the demo's Lark login (the web UI uses the admin's session id here).
const STARTED_BY: &str = "aviary-demo";
/// The demo admin; `.invalid` is reserved and never delivers mail.
const ADMIN_EMAIL: &str = "admin@demo.aviary.invalid";
/// Alphanumerics in the demo admin's password: about 143 bits.
const PASSWORD_CHARS: usize = 24;

pub async fn run(ctx: &Ctx, args: DemoArgs) -> anyhow::Result<ExitCode> {
    let simulator = start_simulator(ctx, &args).await?;
    let integration = register(ctx, &simulator).await?;
    let connected = connect(ctx, &integration).await?;
    eprintln!(
        "Connected to tenant \"{}\" as {}. Syncing…",
        connected.tenant.name, connected.authorized_by.name
    );
    let (_, code) = sync_and_report(ctx, LABEL, false, None, true).await?;
    show_accounts(ctx, &integration).await?;
    let password = ensure_admin(ctx).await?;
    if args.exit {
        say!("With --exit nothing is served; `aviary serve` or `aviary demo` serves the web UI.")?;
        print_sign_in(&ctx.services.settings.http.public_base_url(), &password)?;
        simulator.stop().await;
        return Ok(code);
    }
    let served = serve(ctx, &simulator, &password).await;
    simulator.stop().await;
    served?;
    eprintln!("Aviary stopped.");
    Ok(code)
}

/// A simulated tenant whose login approves itself and accepts only Aviary's callbacks, as a
/// console set up by the guide does.
async fn start_simulator(ctx: &Ctx, args: &DemoArgs) -> anyhow::Result<SimulatorHandle> {
    let redirects = RedirectUris::under(&ctx.services.settings.http.public_base_url());
    let config = SimulatorConfig {
        users: args.users,
        departments: args.departments,
        seed: 7,
        consent: ConsentMode::AutoApprove,
        redirect_urls: vec![redirects.lark, redirects.feishu],
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
    Ok(simulator)
}

/// Registers the demo integration, replacing an earlier one (the simulator listens on a new
/// port each time).
async fn register(ctx: &Ctx, simulator: &SimulatorHandle) -> anyhow::Result<Integration> {
    match ctx.services.integrations.find(LABEL).await {
        Ok(old) => ctx.services.remove.execute(old.id).await?,
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
        "Registered integration \"{LABEL}\" ({}). Connecting…",
        integration.id
    );
    Ok(integration)
}

/// The first accounts synced, and what to try from another terminal.
async fn show_accounts(ctx: &Ctx, integration: &Integration) -> anyhow::Result<()> {
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
    say!("From another terminal:")?;
    say!("  aviary accounts list --integration {LABEL} --status suspended")?;
    say!("  aviary accounts list --integration {LABEL} --role tenant_super_admin --output json")?;
    say!("  aviary departments list --integration {LABEL}")?;
    say!("  aviary runs list --integration {LABEL}")?;
    say!("  aviary sync {LABEL}        # resync: nothing changed, nothing written")?;
    say!("")?;
    Ok(())
}

/// Serves the web UI until Ctrl-C.
async fn serve(
    ctx: &Ctx,
    simulator: &SimulatorHandle,
    password: &SecretString,
) -> anyhow::Result<()> {
    let host = ctx.services.settings.http.host.clone();
    let port = ctx.services.settings.http.port;
    server::prepare(&ctx.services).await?;
    let bound = server::bind(ctx.services.clone(), &host, port)
        .with_context(|| format!("cannot listen on {host}:{port}"))?;
    // Port 0 picked a free port: the address actually bound is the one to open.
    let url = match (port, bound.addrs().first()) {
        (0, Some(addr)) => format!("http://{addr}"),
        _ => ctx.services.settings.http.public_base_url(),
    };
    print_sign_in(&url, password)?;
    say!("")?;
    say!(
        "The web UI and the simulated tenant ({}) run until you press Ctrl-C, which stops everything.",
        simulator.base_url()
    )?;
    bound
        .run_until(server::stop_requested())
        .await
        .context("the server failed")
}

/// Connects the integration through the same login the web UI starts: the authorize URL is
/// fetched without following its redirect, and the simulator's 302 back to Aviary's callback
/// carries the `code` and `state` that complete it.
async fn connect(ctx: &Ctx, integration: &Integration) -> anyhow::Result<Connected> {
    let authorize = ctx
        .services
        .connect
        // The demo's app is set up like the guide says: no `offline_access` to ask for.
        .start(integration.id, STARTED_BY, LoginOptions::default())
        .await?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .context("cannot build the HTTP client")?;
    let response = client
        .get(&authorize)
        .send()
        .await
        .context("cannot reach the simulated tenant's authorize page")?;
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let Some(location) = location.filter(|_| response.status().is_redirection()) else {
        anyhow::bail!(
            "the simulated tenant did not approve the login (HTTP {})",
            response.status()
        );
    };
    let location =
        url::Url::parse(&location).context("the simulated tenant redirected to an invalid URL")?;
    let mut callback = Callback {
        region: Some(integration.region),
        ..Callback::default()
    };
    for (name, value) in location.query_pairs() {
        let slot = match name.as_ref() {
            "state" => &mut callback.state,
            "code" => &mut callback.code,
            "error" => &mut callback.error,
            _ => continue,
        };
        *slot = Some(value.into_owned());
    }
    Ok(ctx.services.connect.complete(&callback, STARTED_BY).await?)
}

/// Gives the demo admin a new random password, returned to be printed: a new admin on the first
/// run, a password reset on later ones (which also ends the sessions of earlier demos), so the
/// printed sign-in details always work.
async fn ensure_admin(ctx: &Ctx) -> anyhow::Result<SecretString> {
    let password = SecretString::from(Alphanumeric.sample_string(&mut rand::rng(), PASSWORD_CHARS));
    match ctx
        .services
        .admins
        .create(ADMIN_EMAIL, password.clone())
        .await
    {
        Ok(_) => Ok(password),
        Err(AdminError::EmailTaken(_)) => {
            ctx.services
                .admins
                .reset_password(ADMIN_EMAIL, password.clone())
                .await?;
            eprintln!("Gave the demo admin from an earlier demo a new password.");
            Ok(password)
        }
        Err(
            err @ (AdminError::Email(_) | AdminError::Password(_) | AdminError::Unavailable(_)),
        ) => Err(err.into()),
    }
}

/// The one place the demo admin's password is shown.
fn print_sign_in(url: &str, password: &SecretString) -> anyhow::Result<()> {
    say!("Open {url}/ and sign in with")?;
    say!("  email:    {ADMIN_EMAIL}")?;
    say!("  password: {}", password.expose_secret())?;
    Ok(())
}
