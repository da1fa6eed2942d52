use serde_json::Value;
use sqlx::{FromRow, PgConnection};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Clone, Debug, FromRow)]
pub struct VendorRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub logo_key: Option<String>,
    pub contact_email: String,
    pub contact_phone: Option<String>,
    pub payout_details: Value,
    pub status: String,
    pub status_reason: Option<String>,
    pub shipping_rate_minor: i64,
    pub rating_avg: Option<f64>,
    pub rating_count: i32,
    pub decided_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// Active products (computed).
    pub product_count: i64,
}

const COLS: &str = "v.id, v.user_id, v.slug::text, v.name, v.description, v.logo_key, v.contact_email::text,
    v.contact_phone, v.payout_details, v.status, v.status_reason, v.shipping_rate_minor,
    v.rating_avg::float8 as rating_avg, v.rating_count, v.decided_at, v.created_at, v.updated_at,
    (select count(*) from products p where p.vendor_id = v.id and p.status = 'active') as product_count";

pub const SLUG_KEY: &str = "vendors_tenant_id_slug_key";
pub const USER_KEY: &str = "vendors_tenant_id_user_id_key";

/// The editable fields of a vendor.
pub struct VendorFields {
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub contact_email: String,
    pub contact_phone: Option<String>,
    pub payout_details: Value,
    pub shipping_rate_minor: i64,
}

pub async fn insert(
    conn: &mut PgConnection,
    tenant: Uuid,
    user: Uuid,
    f: &VendorFields,
) -> Result<VendorRow, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "with v as (
           insert into vendors (id, tenant_id, user_id, slug, name, description, contact_email, contact_phone,
                                payout_details, shipping_rate_minor)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning *)
         select {COLS} from v"
    )))
    .bind(Uuid::now_v7())
    .bind(tenant)
    .bind(user)
    .bind(&f.slug)
    .bind(&f.name)
    .bind(&f.description)
    .bind(&f.contact_email)
    .bind(&f.contact_phone)
    .bind(&f.payout_details)
    .bind(f.shipping_rate_minor)
    .fetch_one(conn)
    .await
}

pub async fn update(
    conn: &mut PgConnection,
    id: Uuid,
    f: &VendorFields,
) -> Result<VendorRow, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "with v as (
           update vendors set slug = $2, name = $3, description = $4, contact_email = $5, contact_phone = $6,
                  payout_details = $7, shipping_rate_minor = $8
            where id = $1 returning *)
         select {COLS} from v"
    )))
    .bind(id)
    .bind(&f.slug)
    .bind(&f.name)
    .bind(&f.description)
    .bind(&f.contact_email)
    .bind(&f.contact_phone)
    .bind(&f.payout_details)
    .bind(f.shipping_rate_minor)
    .fetch_one(conn)
    .await
}

/// The caller's own vendor, in whatever status.
pub async fn of_user(
    conn: &mut PgConnection,
    user: Uuid,
    lock: bool,
) -> Result<Option<VendorRow>, sqlx::Error> {
    let lock = if lock { " for update of v" } else { "" };
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLS} from vendors v where v.user_id = $1{lock}"
    )))
    .bind(user)
    .fetch_optional(conn)
    .await
}

pub async fn get(
    conn: &mut PgConnection,
    id: Uuid,
    lock: bool,
) -> Result<Option<VendorRow>, sqlx::Error> {
    let lock = if lock { " for update of v" } else { "" };
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLS} from vendors v where v.id = $1{lock}"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// An approved vendor by id or slug (the public page).
pub async fn public(conn: &mut PgConnection, key: &str) -> Result<Option<VendorRow>, sqlx::Error> {
    let id = key.parse::<Uuid>().ok();
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLS} from vendors v
          where (v.id = $1 or ($1 is null and v.slug = $2::citext)) and v.status = 'approved'"
    )))
    .bind(id)
    .bind(key)
    .fetch_optional(conn)
    .await
}

/// Vendors newest first, optionally of one status; `after` is the (created_at, id) of the last
/// one served.
pub async fn list(
    conn: &mut PgConnection,
    status: Option<&str>,
    after: Option<(OffsetDateTime, Uuid)>,
    limit: u32,
) -> Result<Vec<VendorRow>, sqlx::Error> {
    let (at, id) = after.unzip();
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLS} from vendors v
          where ($1::text is null or v.status = $1)
            and ($2::timestamptz is null or (v.created_at, v.id) < ($2, $3))
          order by v.created_at desc, v.id desc limit $4"
    )))
    .bind(status)
    .bind(at)
    .bind(id)
    .bind(i64::from(limit) + 1)
    .fetch_all(conn)
    .await
}

pub async fn set_status(
    conn: &mut PgConnection,
    id: Uuid,
    status: &str,
    reason: Option<&str>,
    by: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update vendors set status = $2, status_reason = $3, decided_by = $4, decided_at = now() where id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(reason)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}
