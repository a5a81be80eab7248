//! The state one simulator instance shares between its HTTP workers and its `TenantControl`s.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use super::faults::Faults;
use super::ids;
use super::oauth_grants::{Lifetimes, OAuthStore};
use super::oauth_settings::{OAuthConsole, OAuthSettings};
use super::rate_limit::RateLimiter;
use super::stats::StatsRecorder;
use super::tenant::Tenant;
use super::tokens::{SimClock, TokenStore};

#[derive(Debug)]
pub(crate) struct SimState {
    tenant: RwLock<Tenant>,
    pub(crate) faults: Faults,
    pub(crate) stats: StatsRecorder,
    pub(crate) tenant_tokens: TokenStore,
    pub(crate) app_tokens: TokenStore,
    pub(crate) clock: SimClock,
    pub(crate) limiter: RateLimiter,
    pub(crate) rate_limits: AtomicBool,
    pub(crate) recursion_limit: AtomicUsize,
    pub(crate) app_id: String,
    /// Changeable: a reset secret in the console (`TenantControl::set_app_secret`).
    app_secret: RwLock<String>,
    pub(crate) token_ttl: Duration,
    pub(crate) oauth: OAuthStore,
    pub(crate) oauth_console: OAuthConsole,
    pub(crate) user_token_lifetimes: Lifetimes,
    log_seq: AtomicU64,
}

/// What [`SimState::new`] needs besides the tenant.
#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) app_id: String,
    pub(crate) app_secret: String,
    pub(crate) token_ttl: Duration,
    pub(crate) rate_limits: bool,
    pub(crate) recursion_limit: usize,
    pub(crate) user_token_lifetimes: Lifetimes,
    pub(crate) oauth: OAuthSettings,
}

impl SimState {
    pub(crate) fn new(tenant: Tenant, settings: Settings) -> Self {
        Self {
            tenant: RwLock::new(tenant),
            faults: Faults::default(),
            stats: StatsRecorder::default(),
            tenant_tokens: TokenStore::new("t-"),
            app_tokens: TokenStore::new("a-"),
            clock: SimClock::new(),
            limiter: RateLimiter::default(),
            rate_limits: AtomicBool::new(settings.rate_limits),
            recursion_limit: AtomicUsize::new(settings.recursion_limit),
            app_id: settings.app_id,
            app_secret: RwLock::new(settings.app_secret),
            token_ttl: settings.token_ttl,
            oauth: OAuthStore::default(),
            oauth_console: OAuthConsole::new(settings.oauth),
            user_token_lifetimes: settings.user_token_lifetimes,
            log_seq: AtomicU64::new(0),
        }
    }

    /// Handlers never hold this across an await, and a panicking writer leaves indexes consistent
    /// (every mutation validates before it touches anything), so poisoning is ignored.
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Tenant> {
        self.tenant
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, Tenant> {
        self.tenant
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn next_log_id(&self) -> String {
        ids::log_id(self.log_seq.fetch_add(1, Ordering::Relaxed))
    }

    /// The App Secret the token endpoints accept now.
    pub(crate) fn app_secret(&self) -> String {
        self.app_secret
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn set_app_secret(&self, secret: String) {
        *self
            .app_secret
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = secret;
    }

    pub(crate) fn rate_limits_on(&self) -> bool {
        self.rate_limits.load(Ordering::Relaxed)
    }

    pub(crate) fn recursion_limit(&self) -> usize {
        self.recursion_limit.load(Ordering::Relaxed)
    }

    /// The secret of an app that may run the OAuth flow: the simulated app or an extra client.
    pub(crate) fn oauth_client_secret(&self, client_id: &str) -> Option<String> {
        if client_id == self.app_id {
            Some(self.app_secret())
        } else {
            self.oauth_console.extra_client_secret(client_id)
        }
    }
}
