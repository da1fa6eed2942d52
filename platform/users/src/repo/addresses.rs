use sqlx::{FromRow, PgConnection};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Clone, Debug, FromRow)]
pub struct AddressRow {
    pub id: Uuid,
    pub label: Option<String>,
    pub recipient: String,
    pub phone: Option<String>,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: String,
    pub is_default: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl From<&AddressRow> for crate::domain::PostalAddress {
    fn from(r: &AddressRow) -> Self {
        Self {
            recipient: r.recipient.clone(),
            phone: r.phone.clone(),
            line1: r.line1.clone(),
            line2: r.line2.clone(),
            city: r.city.clone(),
            region: r.region.clone(),
            postal_code: r.postal_code.clone(),
            country: r.country.clone(),
        }
    }
}

const COLS: &str = "id, label, recipient, phone, line1, line2, city, region, postal_code, country, is_default, created_at, updated_at";

pub async fn list(
    conn: &mut PgConnection,
    user: Uuid,
    after: Option<Uuid>,
    limit: u32,
) -> Result<Vec<AddressRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLS} from user_addresses where user_id = $1 and ($2::uuid is null or id > $2) order by id limit $3"
    )))
    .bind(user)
    .bind(after)
    .bind(i64::from(limit) + 1)
    .fetch_all(conn)
    .await
}

/// The caller's address, locked for update when `lock`.
pub async fn get(
    conn: &mut PgConnection,
    user: Uuid,
    id: Uuid,
    lock: bool,
) -> Result<Option<AddressRow>, sqlx::Error> {
    let lock = if lock { " for update" } else { "" };
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLS} from user_addresses where id = $1 and user_id = $2{lock}"
    )))
    .bind(id)
    .bind(user)
    .fetch_optional(conn)
    .await
}

pub async fn count(conn: &mut PgConnection, user: Uuid) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from user_addresses where user_id = $1")
        .bind(user)
        .fetch_one(conn)
        .await
}

/// Clears the current default so a new one can be set (the partial unique index allows one).
pub async fn clear_default(conn: &mut PgConnection, user: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("update user_addresses set is_default = false where user_id = $1 and is_default")
        .bind(user)
        .execute(conn)
        .await?;
    Ok(())
}

/// Inserts or overwrites every editable column of `a` (ids and timestamps come from `a`/the db).
pub async fn upsert(
    conn: &mut PgConnection,
    tenant: Uuid,
    user: Uuid,
    a: &AddressRow,
) -> Result<AddressRow, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "insert into user_addresses (id, tenant_id, user_id, label, recipient, phone, line1, line2, city, region, postal_code, country, is_default)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         on conflict (id) do update set label = excluded.label, recipient = excluded.recipient, phone = excluded.phone,
           line1 = excluded.line1, line2 = excluded.line2, city = excluded.city, region = excluded.region,
           postal_code = excluded.postal_code, country = excluded.country, is_default = excluded.is_default
         where user_addresses.user_id = excluded.user_id
         returning {COLS}"
    )))
    .bind(a.id)
    .bind(tenant)
    .bind(user)
    .bind(&a.label)
    .bind(&a.recipient)
    .bind(&a.phone)
    .bind(&a.line1)
    .bind(&a.line2)
    .bind(&a.city)
    .bind(&a.region)
    .bind(&a.postal_code)
    .bind(&a.country)
    .bind(a.is_default)
    .fetch_one(conn)
    .await
}

pub async fn delete(conn: &mut PgConnection, user: Uuid, id: Uuid) -> Result<bool, sqlx::Error> {
    let res = sqlx::query("delete from user_addresses where id = $1 and user_id = $2")
        .bind(id)
        .bind(user)
        .execute(conn)
        .await?;
    Ok(res.rows_affected() > 0)
}
