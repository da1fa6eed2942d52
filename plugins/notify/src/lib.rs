//! Notification delivery: the [`Notifier`] trait, a name → factory [`Registry`] and the built-in
//! providers that work with no outside account (`in_app`, `console`).
//!
//! `send` takes the caller's connection so a provider that writes rows does so inside the
//! caller's transaction: a rolled-back registration leaves no message behind. Providers that call
//! outside services will instead go through the outbox (see ARCHITECTURE.md, Events).

use std::{collections::BTreeMap, sync::Arc};

use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

pub mod console;
pub mod in_app;

/// One message to one user of one tenant.
#[derive(Clone, Debug, Serialize)]
pub struct Message {
    pub tenant_id: Uuid,
    pub user_id: Uuid,
    /// Stable template name (`verify_email`, `reset_password`); lets clients group and render.
    pub template: String,
    pub subject: String,
    pub body: String,
    /// Structured data for the template (links, tokens). May hold secrets: never log it.
    pub data: serde_json::Value,
}

/// A delivery channel. Object-safe so a registry can hand out `Arc<dyn Notifier>`.
#[async_trait::async_trait]
pub trait Notifier: Send + Sync + 'static {
    /// The registry name of this provider.
    fn name(&self) -> &str;

    /// Delivers `msg`, writing (if at all) through `conn`, which is the caller's transaction.
    async fn send(&self, conn: &mut PgConnection, msg: &Message) -> anyhow::Result<()>;
}

/// Builds a provider. A plain function keeps registration to one line per provider.
pub type Factory = fn() -> anyhow::Result<Arc<dyn Notifier>>;

/// Provider factories by name.
#[derive(Clone, Default)]
pub struct Registry {
    factories: BTreeMap<&'static str, Factory>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// The providers that need no outside account.
    pub fn builtin() -> Self {
        let mut r = Self::new();
        r.register("in_app", in_app::factory);
        r.register("console", console::factory);
        r
    }

    /// Adds (or replaces) a provider.
    pub fn register(&mut self, name: &'static str, factory: Factory) -> &mut Self {
        self.factories.insert(name, factory);
        self
    }

    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.factories.keys().copied()
    }

    /// One notifier that delivers through every named provider, in order.
    pub fn build(&self, names: &[&str]) -> anyhow::Result<Arc<dyn Notifier>> {
        if names.is_empty() {
            anyhow::bail!("no notification provider configured");
        }
        let providers = names
            .iter()
            .map(|name| {
                let factory = self.factories.get(name).ok_or_else(|| {
                    let known: Vec<_> = self.names().collect();
                    anyhow::anyhow!(
                        "unknown notification provider {name:?} (known: {})",
                        known.join(", ")
                    )
                })?;
                factory()
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Arc::new(FanOut { providers }))
    }
}

/// Delivers through several providers. The first failure aborts (and, inside a transaction, the
/// caller rolls everything back), so a message is never half-sent into the database.
pub struct FanOut {
    providers: Vec<Arc<dyn Notifier>>,
}

impl FanOut {
    pub fn providers(&self) -> impl Iterator<Item = &str> {
        self.providers.iter().map(|p| p.name())
    }
}

#[async_trait::async_trait]
impl Notifier for FanOut {
    fn name(&self) -> &str {
        "fan_out"
    }

    async fn send(&self, conn: &mut PgConnection, msg: &Message) -> anyhow::Result<()> {
        for p in &self.providers {
            p.send(conn, msg)
                .await
                .map_err(|e| e.context(format!("provider {}", p.name())))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_names() {
        let names: Vec<_> = Registry::builtin().names().collect();
        assert_eq!(names, ["console", "in_app"]);
    }

    #[test]
    fn unknown_provider_is_named_in_the_error() {
        let err = Registry::builtin()
            .build(&["in_app", "carrier_pigeon"])
            .err()
            .unwrap();
        assert!(err.to_string().contains("carrier_pigeon"), "{err}");
    }

    #[test]
    fn empty_list_is_refused() {
        assert!(Registry::builtin().build(&[]).is_err());
    }

    #[test]
    fn builds_and_registers() {
        let mut r = Registry::new();
        assert!(r.build(&["console"]).is_err());
        r.register("console", console::factory);
        let n = r.build(&["console"]).unwrap();
        assert_eq!(n.name(), "fan_out");
    }
}
