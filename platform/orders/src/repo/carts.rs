use sqlx::PgConnection;
use uuid::Uuid;

/// Most units of one variant in a cart (the table's check).
pub const MAX_QUANTITY: i32 = 999;
/// Most distinct variants in a cart.
pub const MAX_LINES: usize = 100;

pub async fn of_customer(
    conn: &mut PgConnection,
    customer: Uuid,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar("select id from carts where customer_id = $1")
        .bind(customer)
        .fetch_optional(conn)
        .await
}

pub async fn of_token(
    conn: &mut PgConnection,
    token_hash: &[u8],
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar("select id from carts where customer_id is null and token_hash = $1")
        .bind(token_hash)
        .fetch_optional(conn)
        .await
}

/// The customer's cart, created when missing.
pub async fn ensure_customer(
    conn: &mut PgConnection,
    tenant: Uuid,
    customer: Uuid,
) -> Result<Uuid, sqlx::Error> {
    sqlx::query_scalar(
        "insert into carts (id, tenant_id, customer_id) values ($1, $2, $3)
         on conflict (tenant_id, customer_id) do update set updated_at = now()
         returning id",
    )
    .bind(Uuid::now_v7())
    .bind(tenant)
    .bind(customer)
    .fetch_one(conn)
    .await
}

pub async fn create_guest(
    conn: &mut PgConnection,
    tenant: Uuid,
    token_hash: &[u8],
) -> Result<Uuid, sqlx::Error> {
    sqlx::query_scalar(
        "insert into carts (id, tenant_id, token_hash) values ($1, $2, $3) returning id",
    )
    .bind(Uuid::now_v7())
    .bind(tenant)
    .bind(token_hash)
    .fetch_one(conn)
    .await
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ItemRow {
    pub variant_id: Uuid,
    pub quantity: i32,
}

pub async fn items(conn: &mut PgConnection, cart: Uuid) -> Result<Vec<ItemRow>, sqlx::Error> {
    sqlx::query_as("select variant_id, quantity from cart_items where cart_id = $1 order by added_at, variant_id")
        .bind(cart)
        .fetch_all(conn)
        .await
}

/// Sets the quantity of a line (adding it when missing), or adds to it when `increment`; never
/// above [`MAX_QUANTITY`]. Returns the line's new quantity, or `None` when the cart already holds
/// [`MAX_LINES`] other variants.
pub async fn put_item(
    conn: &mut PgConnection,
    tenant: Uuid,
    cart: Uuid,
    variant: Uuid,
    quantity: i32,
    increment: bool,
) -> Result<Option<i32>, sqlx::Error> {
    // The cart row is locked so two concurrent adds cannot both pass the line limit.
    sqlx::query("update carts set updated_at = now() where id = $1")
        .bind(cart)
        .execute(&mut *conn)
        .await?;
    sqlx::query_scalar(
        "insert into cart_items (tenant_id, cart_id, variant_id, quantity)
         select $1, $2, $3, least($4, $6)
          where exists (select from cart_items where cart_id = $2 and variant_id = $3)
             or (select count(*) from cart_items where cart_id = $2) < $7
         on conflict (cart_id, variant_id) do update
           set quantity = least(case when $5 then cart_items.quantity + excluded.quantity else excluded.quantity end, $6)
         returning quantity",
    )
    .bind(tenant)
    .bind(cart)
    .bind(variant)
    .bind(quantity)
    .bind(increment)
    .bind(MAX_QUANTITY)
    .bind(MAX_LINES as i64)
    .fetch_optional(conn)
    .await
}

pub async fn remove_item(
    conn: &mut PgConnection,
    cart: Uuid,
    variant: Uuid,
) -> Result<bool, sqlx::Error> {
    Ok(
        sqlx::query("delete from cart_items where cart_id = $1 and variant_id = $2")
            .bind(cart)
            .bind(variant)
            .execute(conn)
            .await?
            .rows_affected()
            > 0,
    )
}

/// Removes lines; all of them when `variants` is `None`.
pub async fn clear(
    conn: &mut PgConnection,
    cart: Uuid,
    variants: Option<&[Uuid]>,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from cart_items where cart_id = $1 and ($2::uuid[] is null or variant_id = any($2))")
        .bind(cart)
        .bind(variants)
        .execute(conn)
        .await?;
    Ok(())
}

/// Moves a guest cart's lines into `into` (quantities add up, capped), then deletes the guest cart.
pub async fn merge(conn: &mut PgConnection, from: Uuid, into: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into cart_items (tenant_id, cart_id, variant_id, quantity, added_at)
         select tenant_id, $2, variant_id, quantity, added_at from cart_items where cart_id = $1
         on conflict (cart_id, variant_id) do update
           set quantity = least(cart_items.quantity + excluded.quantity, $3)",
    )
    .bind(from)
    .bind(into)
    .bind(MAX_QUANTITY)
    .execute(&mut *conn)
    .await?;
    sqlx::query("delete from carts where id = $1")
        .bind(from)
        .execute(conn)
        .await?;
    Ok(())
}
