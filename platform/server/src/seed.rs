//! Demo data and the operator commands that create tenants and accounts. Everything here goes
//! through the services' public `api` functions as the runtime role, like a request would.

use std::fmt::Write as _;

use anyhow::Context as _;
use kernel::{ApiError, AppState, db::Db, i18n::Locale, tenant::PLATFORM_TENANT_ID};
use rand::{Rng, distr::Alphanumeric};
use uuid::Uuid;

/// The password of every demo account. Demo data only: never seed a production database.
pub const DEMO_PASSWORD: &str = "gamarriando-demo-2026";

/// A marketplace the seed creates.
pub struct DemoMarketplace {
    pub slug: &'static str,
    pub name: &'static str,
    pub locale: &'static str,
    pub currency: &'static str,
}

pub const MARKETPLACES: [DemoMarketplace; 2] = [
    DemoMarketplace {
        slug: "gamarra",
        name: "Gamarra Moda",
        locale: "es",
        currency: "PEN",
    },
    DemoMarketplace {
        slug: "mercado",
        name: "Mercado Central",
        locale: "en",
        currency: "USD",
    },
];

/// (role label, email local part, granted roles) of the accounts made in every marketplace.
const ACCOUNTS: [(&str, &str, &[&str]); 3] = [
    ("admin", "admin", &["admin"]),
    ("vendor", "vendor", &["vendor"]),
    ("customer", "customer", &[]),
];

pub const PLATFORM_ADMIN_EMAIL: &str = "admin@gamarriando.test";

/// One account the seed made or found.
#[derive(Debug, Clone)]
pub struct SeededAccount {
    pub host: String,
    pub role: &'static str,
    pub email: String,
    pub password: String,
    pub created: bool,
}

#[derive(Debug, Clone)]
pub struct SeededTenant {
    pub slug: String,
    pub name: String,
    pub host: String,
    pub id: Uuid,
    pub created: bool,
}

#[derive(Debug, Default)]
pub struct SeedReport {
    pub tenants: Vec<SeededTenant>,
    pub accounts: Vec<SeededAccount>,
    /// Demo products created per marketplace host (0 when they already existed).
    pub catalog: Vec<(String, usize)>,
}

/// A marketplace's id by slug, seen from the platform scope.
pub async fn tenant_by_slug(db: &Db, slug: &str) -> anyhow::Result<Option<Uuid>> {
    let found = tenants::api::find_tenant_by_slug(db, slug)
        .await
        .map_err(|e| anyhow::anyhow!(describe(&e)))?;
    Ok(found.map(|t| t.id))
}

/// An [`ApiError`] for a person at a terminal: the code, and each invalid field.
pub fn describe(e: &ApiError) -> String {
    match e {
        ApiError::Validation(fields) => {
            let fields: Vec<String> = fields
                .iter()
                .map(|f| {
                    let args: Vec<String> =
                        f.args.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    if args.is_empty() {
                        format!("{}: {}", f.field, f.code)
                    } else {
                        format!("{}: {} ({})", f.field, f.code, args.join(", "))
                    }
                })
                .collect();
            format!("invalid input: {}", fields.join("; "))
        }
        ApiError::Rejected { code, .. } => format!("refused: {code}"),
        other => other.to_string(),
    }
}

/// A user's id by email within one tenant.
pub async fn user_by_email(db: &Db, tenant: Uuid, email: &str) -> anyhow::Result<Option<Uuid>> {
    users::api::find_user_by_email(db, tenant, email)
        .await
        .map_err(|e| anyhow::anyhow!(describe(&e)))
}

/// Creates a marketplace; `Ok((id, false))` when the slug is already taken.
pub async fn ensure_tenant(
    state: &AppState,
    slug: &str,
    name: &str,
    locale: &str,
    currency: &str,
) -> anyhow::Result<(Uuid, bool)> {
    if let Some(id) = tenant_by_slug(&state.db, slug).await? {
        return Ok((id, false));
    }
    let default_locale =
        Locale::parse(locale).with_context(|| format!("unknown locale {locale:?} (es, en)"))?;
    let input = tenants::api::NewTenant {
        slug: slug.to_string(),
        name: name.to_string(),
        default_locale: Some(default_locale),
        currency: Some(currency.to_string()),
    };
    let tenant = tenants::api::create_tenant(
        &state.db,
        &state.cache,
        &state.config.platform_domain,
        input,
    )
    .await
    .map_err(|e| anyhow::anyhow!("creating marketplace {slug}: {}", describe(&e)))?;
    Ok((tenant.id, true))
}

/// Creates a verified account; `Ok((id, false))` when the email already exists in the tenant.
pub async fn ensure_user(
    db: &Db,
    tenant: Uuid,
    email: &str,
    password: &str,
    display_name: &str,
    roles: &[&str],
) -> anyhow::Result<(Uuid, bool)> {
    if let Some(id) = user_by_email(db, tenant, email).await? {
        return Ok((id, false));
    }
    let id = users::api::create_user(db, tenant, email, password, display_name, roles, true)
        .await
        .map_err(|e| anyhow::anyhow!("creating {email}: {}", describe(&e)))?;
    Ok((id, true))
}

/// A random password for accounts made without one (20 letters and digits, ~119 bits).
pub fn generate_password() -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(20)
        .map(char::from)
        .collect()
}

/// The two demo marketplaces with an admin, a vendor and a customer each, and a platform admin.
/// Idempotent: what exists is reported, not recreated.
pub async fn seed(state: &AppState) -> anyhow::Result<SeedReport> {
    let domain = &state.config.platform_domain;
    let mut report = SeedReport::default();
    for m in &MARKETPLACES {
        let (tenant, created) = ensure_tenant(state, m.slug, m.name, m.locale, m.currency).await?;
        let host = format!("{}.{domain}", m.slug);
        report.tenants.push(SeededTenant {
            slug: m.slug.into(),
            name: m.name.into(),
            host: host.clone(),
            id: tenant,
            created,
        });
        let mut ids = std::collections::HashMap::new();
        for (role, local, roles) in ACCOUNTS {
            let email = format!("{local}@{}.test", m.slug);
            let display = format!("{} {}", capitalize(role), m.name);
            let (id, created) =
                ensure_user(&state.db, tenant, &email, DEMO_PASSWORD, &display, roles).await?;
            ids.insert(role, id);
            report.accounts.push(SeededAccount {
                host: host.clone(),
                role,
                email,
                password: DEMO_PASSWORD.into(),
                created,
            });
        }
        let (admin, vendor_user) = (ids["admin"], ids["vendor"]);
        let vendor = products::api::approved_vendor(
            &state.db,
            tenant,
            admin,
            vendor_user,
            &format!("Tienda Demo {}", m.name),
            &format!("demo-{}", m.slug),
            &format!("vendor@{}.test", m.slug),
        )
        .await
        .map_err(|e| anyhow::anyhow!("creating the demo vendor: {}", describe(&e)))?;
        let added = products::api::seed_demo_catalog(&state.db, tenant, admin, vendor, m.currency)
            .await
            .map_err(|e| anyhow::anyhow!("creating the demo catalogue: {}", describe(&e)))?;
        report.catalog.push((host.clone(), added));
        notifications::api::seed_console_email(&state.db, tenant, admin)
            .await
            .map_err(|e| anyhow::anyhow!("configuring the demo email channel: {}", describe(&e)))?;
        payments::api::seed_sandbox(state, tenant, admin)
            .await
            .map_err(|e| {
                anyhow::anyhow!("configuring the demo sandbox gateway: {}", describe(&e))
            })?;
    }
    let (_, created) = ensure_user(
        &state.db,
        PLATFORM_TENANT_ID,
        PLATFORM_ADMIN_EMAIL,
        DEMO_PASSWORD,
        "Platform Admin",
        &["platform_admin"],
    )
    .await
    .context("creating the platform admin")?;
    report.accounts.push(SeededAccount {
        host: domain.clone(),
        role: "platform_admin",
        email: PLATFORM_ADMIN_EMAIL.into(),
        password: DEMO_PASSWORD.into(),
        created,
    });
    Ok(report)
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// What a person needs to try the seeded platform: hosts, accounts and curl commands.
pub fn render(report: &SeedReport, base_url: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Demo marketplaces (demo data only: never seed a production database)"
    );
    for t in &report.tenants {
        let state = if t.created { "created" } else { "exists" };
        let _ = writeln!(
            out,
            "  {:<10} {:<18} host {:<24} id {}  [{state}]",
            t.slug, t.name, t.host, t.id
        );
    }
    let _ = writeln!(
        out,
        "Accounts (verified; password for all: {DEMO_PASSWORD})"
    );
    for a in &report.accounts {
        let state = if a.created { "created" } else { "exists" };
        let _ = writeln!(
            out,
            "  {:<24} {:<15} {:<28} {}  [{state}]",
            a.host, a.role, a.email, a.password
        );
    }
    for (host, added) in &report.catalog {
        let state = if *added > 0 { "created" } else { "exists" };
        let _ = writeln!(
            out,
            "Demo catalogue on {host}: a vendor, categories and products  [{state}]"
        );
    }
    let _ = writeln!(out, "Try it:");
    if let Some(a) = report.accounts.iter().find(|a| a.role == "customer") {
        let _ = writeln!(
            out,
            "  curl -s -H 'Host: {}' -H 'content-type: application/json' {base_url}/api/v1/users/login -d '{{\"email\":\"{}\",\"password\":\"{}\"}}'",
            a.host, a.email, a.password
        );
        let _ = writeln!(
            out,
            "  curl -s -H 'Host: {}' -H \"authorization: Bearer $TOKEN\" {base_url}/api/v1/users/me",
            a.host
        );
    }
    if let Some(t) = report.tenants.first() {
        let _ = writeln!(
            out,
            "  curl -s -H 'Host: {}' '{base_url}/api/v1/products/search?q=polo'",
            t.host
        );
    }
    let _ = writeln!(
        out,
        "  API docs: {base_url}/docs   spec: {base_url}/openapi.json"
    );
    out
}

/// `http://127.0.0.1:8080` for a bind address (an unspecified address is reached on loopback).
pub fn base_url(bind: std::net::SocketAddr) -> String {
    let ip = if bind.ip().is_unspecified() {
        "127.0.0.1".to_string()
    } else {
        bind.ip().to_string()
    };
    let ip = if ip.contains(':') {
        format!("[{ip}]")
    } else {
        ip
    };
    format!("http://{ip}:{}", bind.port())
}
