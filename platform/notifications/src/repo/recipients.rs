//! What planning needs to know about the people an event names.

use std::collections::HashMap;

use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::{Category, Channel};

#[derive(Debug, sqlx::FromRow)]
pub struct Recipient {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub phone: Option<String>,
    pub locale: Option<String>,
    /// Stored preferences as `channel/category` → enabled.
    pub prefs: sqlx::types::Json<HashMap<String, bool>>,
    pub has_push: bool,
}

impl Recipient {
    pub fn preference(&self, channel: Channel, category: Category) -> Option<bool> {
        self.prefs
            .get(&format!("{}/{}", channel.as_str(), category.as_str()))
            .copied()
    }
}

/// Active accounts among `ids`, with their contact points and preferences.
pub async fn load(conn: &mut PgConnection, ids: &[Uuid]) -> Result<Vec<Recipient>, sqlx::Error> {
    sqlx::query_as(
        "select u.id, u.email::text as email, coalesce(p.display_name, '') as name, p.phone,
                pr.locale,
                coalesce((select jsonb_object_agg(np.channel || '/' || np.category, np.enabled)
                            from notification_preferences np where np.user_id = u.id), '{}') as prefs,
                exists (select from push_devices d where d.user_id = u.id) as has_push
           from users u
           left join user_profiles p on p.user_id = u.id
           left join user_preferences pr on pr.user_id = u.id
          where u.id = any($1) and u.status = 'active'",
    )
    .bind(ids)
    .fetch_all(conn)
    .await
}

/// The owners of these vendors.
pub async fn vendor_owners(
    conn: &mut PgConnection,
    vendors: &[Uuid],
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar("select user_id from vendors where id = any($1)")
        .bind(vendors)
        .fetch_all(conn)
        .await
}

pub async fn admins(conn: &mut PgConnection) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar("select user_id from user_roles where role = 'admin'")
        .fetch_all(conn)
        .await
}

/// The tenant as messages name it.
#[derive(Debug, sqlx::FromRow)]
pub struct Marketplace {
    pub name: String,
    pub slug: String,
    pub default_locale: String,
}

pub async fn marketplace(
    conn: &mut PgConnection,
    tenant: Uuid,
) -> Result<Option<Marketplace>, sqlx::Error> {
    sqlx::query_as("select name, slug, default_locale from tenants where id = $1")
        .bind(tenant)
        .fetch_optional(conn)
        .await
}
