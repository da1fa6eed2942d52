//! The database door. Handlers reach tenant rows only through [`TenantTx`], a transaction whose
//! first round trip also sets `app.tenant_id` and `app.user_id` transaction-locally, so a pooled
//! connection never carries a tenant into the next request.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use sqlx::{
    AssertSqlSafe, PgConnection, PgPool, Postgres, Transaction,
    migrate::Migrator,
    postgres::{PgConnectOptions, PgPoolOptions, PgRow},
};
use uuid::Uuid;

use crate::{error::ApiError, request::RequestCtx, tenant::PLATFORM_TENANT_ID};

/// Every migration, embedded. Run as the owner role only.
pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations");

/// The owner role runs migrations and owns every table.
pub const OWNER_ROLE: &str = "gamarriando_owner";
/// The runtime role owns nothing and has neither SUPERUSER nor BYPASSRLS.
pub const APP_ROLE: &str = "gamarriando_app";

/// Creates both roles and the database (idempotent). Needs a superuser (or CREATEROLE) connection;
/// used by the embedded cluster, the test harness and `gamarriando db bootstrap`.
pub async fn bootstrap_roles(admin: &mut PgConnection) -> Result<(), sqlx::Error> {
    // Roles are cluster-wide; concurrent bootstraps (parallel tests) serialize on this lock.
    sqlx::query("select pg_advisory_lock(7243001)")
        .execute(&mut *admin)
        .await?;
    let res = sqlx::raw_sql(
        "do $$ begin
           if not exists (select from pg_roles where rolname = 'gamarriando_owner') then
             create role gamarriando_owner login nosuperuser nobypassrls nocreaterole;
           end if;
           if not exists (select from pg_roles where rolname = 'gamarriando_app') then
             create role gamarriando_app login nosuperuser nobypassrls nocreatedb nocreaterole;
           end if;
         end $$;",
    )
    .execute(&mut *admin)
    .await;
    sqlx::query("select pg_advisory_unlock(7243001)")
        .execute(&mut *admin)
        .await?;
    res.map(|_| ())
}

/// Transaction-local settings (name, value), constants of the code.
pub type Settings = &'static [(&'static str, &'static str)];

#[derive(Clone, Debug)]
pub struct Db {
    pool: PgPool,
}

impl Db {
    /// A lazy pool: no connection is made until the first query (Lambda cold starts stay fast).
    pub fn connect_lazy(url: &SecretString, max_connections: u32) -> Result<Self, sqlx::Error> {
        let opts: PgConnectOptions = url.expose_secret().parse()?;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(5))
            // A ping before every checkout would cost a round trip per request; a broken
            // connection surfaces as one failed query and is then discarded by the pool.
            .test_before_acquire(false)
            .connect_lazy_with(opts.application_name("gamarriando"));
        Ok(Self { pool })
    }

    pub fn from_pool(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Begins a transaction scoped to the request's tenant and user.
    pub async fn begin_for(&self, ctx: &RequestCtx) -> Result<TenantTx, ApiError> {
        self.begin_scoped(ctx.tenant.id, ctx.user_id()).await
    }

    /// Begins a transaction scoped to `tenant` (and `user`, when known), in one round trip.
    pub async fn begin_scoped(
        &self,
        tenant: Uuid,
        user: Option<Uuid>,
    ) -> Result<TenantTx, ApiError> {
        self.begin_scoped_with(tenant, user, &[]).await
    }

    /// Like [`begin_scoped`](Self::begin_scoped), with more transaction-local settings in the
    /// same round trip (`[("plan_cache_mode", "force_generic_plan")]`).
    pub async fn begin_scoped_with(
        &self,
        tenant: Uuid,
        user: Option<Uuid>,
        settings: Settings,
    ) -> Result<TenantTx, ApiError> {
        // Uuid's Display is hex and dashes only, and settings are the code's own constants of
        // the same alphabet (checked), so formatting them into SQL cannot inject anything; a
        // simple-query BEGIN carries them in the same round trip.
        let user = user.map(|u| u.to_string()).unwrap_or_default();
        let mut sql = format!(
            "begin; select set_config('app.tenant_id', '{tenant}', true), set_config('app.user_id', '{user}', true)"
        );
        for (name, value) in settings {
            let plain = |s: &str| {
                s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
            };
            if !plain(name) || !plain(value) {
                return Err(ApiError::internal(anyhow::anyhow!(
                    "unsafe setting {name}={value}"
                )));
            }
            sql.push_str(&format!(", set_config('{name}', '{value}', true)"));
        }
        let written = crate::outbox::written();
        let tx = self.pool.begin_with(AssertSqlSafe(sql)).await?;
        Ok(TenantTx { tx, written })
    }

    /// The platform scope: sees the tenant registry (`tenants`, `tenant_domains`).
    pub async fn begin_platform(&self) -> Result<TenantTx, ApiError> {
        self.begin_scoped(PLATFORM_TENANT_ID, None).await
    }

    /// Liveness of the database for `/ready`.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("select 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    pub async fn close(&self) {
        self.pool.close().await
    }
}

/// A tenant-scoped transaction. Dropped without `commit` it rolls back, so `?` never leaves half
/// a write behind.
pub struct TenantTx {
    tx: Transaction<'static, Postgres>,
    /// This process's outbox write count when the transaction began (see [`Self::commit`]).
    written: u64,
}

impl TenantTx {
    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    /// Commits, then wakes this process's outbox workers if the transaction may have written
    /// events (the count moved since it began: this transaction's or a concurrent one's; a
    /// needless wake costs one empty claim).
    pub async fn commit(self) -> Result<(), ApiError> {
        self.tx.commit().await.map_err(ApiError::from)?;
        crate::outbox::after_commit(self.written);
        Ok(())
    }

    /// Runs `last` and commits in the same round trip, returning `last`'s rows: for a final
    /// statement that locks contended rows (checkout's stock reservation), which then stay
    /// locked for that statement and the commit's WAL flush only, not also for a trip to this
    /// process and back while every other buyer of the row waits.
    ///
    /// `last` goes as a simple query, without parameters: the caller may format into it only
    /// values that cannot inject (numbers, UUIDs). When it fails, nothing after it runs and
    /// everything rolls back, so it must *raise* to refuse (a row saying "no" would commit).
    pub async fn commit_after(mut self, last: &str) -> Result<Vec<PgRow>, sqlx::Error> {
        // `begin` again, because sqlx still counts a transaction as open: dropping it queues a
        // `ROLLBACK` of that empty one, which the pool sends with the ping it makes anyway
        // when the connection comes back, so this costs no round trip of its own.
        let rows = sqlx::raw_sql(AssertSqlSafe(format!("{last}; commit; begin")))
            .fetch_all(&mut *self.tx)
            .await?;
        crate::outbox::after_commit(self.written);
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn settings_outside_the_plain_alphabet_are_refused_before_any_sql() {
        // A lazy pool to nowhere: the check must fail before a connection is even wanted.
        let db =
            Db::connect_lazy(&SecretString::from("postgres://nobody@127.0.0.1:1/none"), 1).unwrap();
        for bad in [
            &[("plan_cache_mode'); drop table users; --", "x")][..],
            &[("plan_cache_mode", "force generic")][..],
        ] {
            let err = db
                .begin_scoped_with(Uuid::now_v7(), None, bad)
                .await
                .err()
                .expect("refused");
            assert!(matches!(err, ApiError::Internal(_)), "{err:?}");
        }
    }
}
