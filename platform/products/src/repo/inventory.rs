use sqlx::{FromRow, PgConnection};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Clone, Debug, FromRow)]
pub struct LevelRow {
    pub variant_id: Uuid,
    pub sku: String,
    pub on_hand: i32,
    pub reserved: i32,
    pub low_stock_threshold: i32,
    pub updated_at: OffsetDateTime,
}

const COLS: &str =
    "i.variant_id, v.sku::text, i.on_hand, i.reserved, i.low_stock_threshold, i.updated_at";

pub async fn of_product(
    conn: &mut PgConnection,
    product: Uuid,
) -> Result<Vec<LevelRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLS} from inventory i join product_variants v on v.id = i.variant_id
          where i.product_id = $1 order by v.position, v.id"
    )))
    .bind(product)
    .fetch_all(conn)
    .await
}

/// The outcome of an adjustment.
pub enum Adjusted {
    Done(LevelRow),
    /// The variant is not there (or not the caller's).
    Missing,
    /// It would take what can be sold below zero.
    Insufficient,
}

/// Adds `delta` to on-hand stock in one conditional statement: concurrent adjustments queue on
/// the row lock and each re-checks the condition against the committed value, so none is lost
/// and stock never drops below what is reserved (nor below zero: the table checks that too).
/// The adjustment is recorded in the same statement.
/// One change of on-hand stock and why.
pub struct Change<'a> {
    pub product: Uuid,
    pub variant: Uuid,
    pub delta: i32,
    pub reason: &'a str,
    pub note: Option<&'a str>,
    pub actor: Uuid,
}

pub async fn adjust(
    conn: &mut PgConnection,
    tenant: Uuid,
    c: &Change<'_>,
) -> Result<Adjusted, sqlx::Error> {
    let Change {
        product,
        variant,
        delta,
        reason,
        note,
        actor,
    } = *c;
    let row: Option<LevelRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "with i as (
           update inventory set on_hand = on_hand + $3
            where variant_id = $1 and product_id = $2 and on_hand::int8 + $3 >= reserved
              and on_hand::int8 + $3 <= 2147483647
           returning *),
         h as (
           insert into inventory_adjustments (id, tenant_id, product_id, variant_id, delta, reason, note, on_hand_after, actor_id)
           select $4, $5, i.product_id, i.variant_id, $3, $6, $7, i.on_hand, $8 from i)
         select {COLS} from i join product_variants v on v.id = i.variant_id"
    )))
    .bind(variant)
    .bind(product)
    .bind(delta)
    .bind(Uuid::now_v7())
    .bind(tenant)
    .bind(reason)
    .bind(note)
    .bind(actor)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(row) = row {
        return Ok(Adjusted::Done(row));
    }
    let exists: bool = sqlx::query_scalar(
        "select exists (select from inventory where variant_id = $1 and product_id = $2)",
    )
    .bind(variant)
    .bind(product)
    .fetch_one(conn)
    .await?;
    Ok(if exists {
        Adjusted::Insufficient
    } else {
        Adjusted::Missing
    })
}

pub async fn set_threshold(
    conn: &mut PgConnection,
    product: Uuid,
    variant: Uuid,
    threshold: i32,
) -> Result<Option<LevelRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "with i as (update inventory set low_stock_threshold = $3 where variant_id = $1 and product_id = $2 returning *)
         select {COLS} from i join product_variants v on v.id = i.variant_id"
    )))
    .bind(variant)
    .bind(product)
    .bind(threshold)
    .fetch_optional(conn)
    .await
}

#[derive(Clone, Debug, FromRow)]
pub struct AdjustmentRow {
    pub id: Uuid,
    pub variant_id: Uuid,
    pub delta: i32,
    pub reason: String,
    pub note: Option<String>,
    pub on_hand_after: i32,
    pub actor_id: Option<Uuid>,
    pub created_at: OffsetDateTime,
}

/// The variant's adjustment history, newest first (`after` is the id of the last one served;
/// ids are v7, so they sort by time).
pub async fn history(
    conn: &mut PgConnection,
    product: Uuid,
    variant: Uuid,
    after: Option<Uuid>,
    limit: u32,
) -> Result<Vec<AdjustmentRow>, sqlx::Error> {
    sqlx::query_as(
        "select id, variant_id, delta, reason, note, on_hand_after, actor_id, created_at
           from inventory_adjustments
          where variant_id = $1 and product_id = $2 and ($3::uuid is null or id < $3)
          order by id desc limit $4",
    )
    .bind(variant)
    .bind(product)
    .bind(after)
    .bind(i64::from(limit) + 1)
    .fetch_all(conn)
    .await
}
