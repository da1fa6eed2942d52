//! What planning needs to know about the people an event names.

use std::collections::HashMap;

use sqlx::{PgConnection, types::Json};
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
    pub prefs: Json<HashMap<String, bool>>,
    pub has_push: bool,
}

impl Recipient {
    pub fn preference(&self, channel: Channel, category: Category) -> Option<bool> {
        self.prefs
            .get(&format!("{}/{}", channel.as_str(), category.as_str()))
            .copied()
    }
}

/// Active accounts among `ids`, with their contact points and preferences, by id.
pub async fn load(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Recipient>, sqlx::Error> {
    let rows: Vec<Recipient> = sqlx::query_as(
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
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r)).collect())
}

/// The owner of each of these vendors, by vendor.
pub async fn vendor_owners(
    conn: &mut PgConnection,
    vendors: &[Uuid],
) -> Result<HashMap<Uuid, Uuid>, sqlx::Error> {
    let rows: Vec<(Uuid, Uuid)> =
        sqlx::query_as("select id, user_id from vendors where id = any($1)")
            .bind(vendors)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().collect())
}

pub async fn admins(conn: &mut PgConnection) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar("select user_id from user_roles where role = 'admin'")
        .fetch_all(conn)
        .await
}

/// Everything about the marketplace that planning needs, in one round trip: how messages name
/// it, its enabled channels, its wordings of `templates`, and its endpoints subscribed to
/// any of `topics`.
#[derive(Debug, sqlx::FromRow)]
pub struct Setting {
    pub name: String,
    pub slug: String,
    pub default_locale: String,
    pub channels: Vec<String>,
    pub wordings: Json<Vec<WordingRow>>,
    pub endpoints: Json<Vec<EndpointRef>>,
}

#[derive(Debug, serde::Deserialize)]
pub struct WordingRow {
    pub template: String,
    pub channel: String,
    pub locale: String,
    pub subject: String,
    pub body: String,
    pub html: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
pub struct EndpointRef {
    pub id: Uuid,
    pub url: String,
    pub topics: Vec<String>,
}

pub async fn setting(
    conn: &mut PgConnection,
    tenant: Uuid,
    templates: &[&str],
    topics: &[&str],
) -> Result<Option<Setting>, sqlx::Error> {
    sqlx::query_as(
        "select t.name, t.slug, t.default_locale,
                array(select channel from notification_channels where enabled) as channels,
                coalesce((select jsonb_agg(jsonb_build_object('template', w.template, 'channel', w.channel,
                                   'locale', w.locale, 'subject', w.subject, 'body', w.body, 'html', w.html))
                            from notification_templates w where w.template = any($2)), '[]') as wordings,
                coalesce((select jsonb_agg(jsonb_build_object('id', e.id, 'url', e.url, 'topics', e.topics))
                            from webhook_endpoints e where e.enabled and e.topics && $3), '[]') as endpoints
           from tenants t where t.id = $1",
    )
    .bind(tenant)
    .bind(templates)
    .bind(topics)
    .fetch_optional(conn)
    .await
}
