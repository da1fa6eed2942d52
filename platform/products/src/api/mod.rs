//! What other crates may call: the server's `seed` command builds a demo catalogue with these, and
//! the order service moves stock through [`stock`] inside its own transactions.

use kernel::{ApiError, db::Db};

pub mod stock;
use uuid::Uuid;

use crate::repo::{self, vendors::VendorFields};

/// Makes `user` an approved vendor of `tenant` (decided by `admin`, who must hold the `admin`
/// role there) and returns the vendor id; an existing vendor of that user is returned as is.
pub async fn approved_vendor(
    db: &Db,
    tenant: Uuid,
    admin: Uuid,
    user: Uuid,
    name: &str,
    slug: &str,
    contact_email: &str,
) -> Result<Uuid, ApiError> {
    let mut tx = db.begin_scoped(tenant, Some(admin)).await?;
    if let Some(v) = repo::vendors::of_user(tx.conn(), user, false).await? {
        tx.commit().await?;
        return Ok(v.id);
    }
    let fields = VendorFields {
        slug: slug.into(),
        name: name.into(),
        description: None,
        contact_email: contact_email.into(),
        contact_phone: None,
        payout_details: serde_json::json!({}),
        shipping_rate_minor: 1000,
    };
    let v = repo::vendors::insert(tx.conn(), tenant, user, &fields).await?;
    repo::vendors::set_status(tx.conn(), v.id, "approved", None, admin).await?;
    users::api::grant_role_in(tx.conn(), tenant, user, "vendor", Some(admin)).await?;
    tx.commit().await?;
    Ok(v.id)
}

/// A small demo catalogue for `vendor`: a category tree and a few active products with variants
/// and stock, searchable at once. Idempotent: nothing is added when the vendor has products.
/// Returns how many products were created.
pub async fn seed_demo_catalog(
    db: &Db,
    tenant: Uuid,
    admin: Uuid,
    vendor: Uuid,
    currency: &str,
) -> Result<usize, ApiError> {
    use crate::repo::{categories::CategoryBase, products::ProductBase, variants::VariantRow};

    let mut tx = db.begin_scoped(tenant, Some(admin)).await?;
    let existing: i64 = sqlx::query_scalar("select count(*) from products where vendor_id = $1")
        .bind(vendor)
        .fetch_one(tx.conn())
        .await?;
    if existing > 0 {
        tx.commit().await?;
        return Ok(0);
    }
    let ropa = Uuid::now_v7();
    let polos = Uuid::now_v7();
    let casacas = Uuid::now_v7();
    for (id, parent, path, slug, name) in [
        (ropa, None, vec![ropa], "ropa", "Ropa"),
        (polos, Some(ropa), vec![ropa, polos], "polos", "Polos"),
        (
            casacas,
            Some(ropa),
            vec![ropa, casacas],
            "casacas",
            "Casacas",
        ),
    ] {
        let exists: bool =
            sqlx::query_scalar("select exists (select from categories where slug = $1::citext)")
                .bind(slug)
                .fetch_one(tx.conn())
                .await?;
        if !exists {
            let c = CategoryBase {
                id,
                parent_id: parent,
                path,
                position: 0,
                slug: slug.into(),
                name: name.into(),
                description: None,
                meta_title: None,
                meta_description: None,
            };
            repo::categories::insert(tx.conn(), tenant, &c).await?;
        }
    }
    let category_of = async |conn: &mut sqlx::PgConnection, slug: &str| -> Result<Uuid, ApiError> {
        Ok(
            sqlx::query_scalar("select id from categories where slug = $1::citext")
                .bind(slug)
                .fetch_one(conn)
                .await?,
        )
    };
    let demo: [(&str, &str, &str, i64, &[&str]); 5] = [
        (
            "Polo de algodón pima",
            "polos",
            "algodón",
            4990,
            &["S", "M", "L"],
        ),
        (
            "Polo deportivo dry-fit",
            "polos",
            "poliéster",
            3990,
            &["M", "L"],
        ),
        (
            "Casaca de jean clásica",
            "casacas",
            "denim",
            12990,
            &["M", "L", "XL"],
        ),
        ("Casaca cortavientos", "casacas", "nylon", 9990, &["S", "M"]),
        (
            "Polo cuello camisero",
            "polos",
            "algodón",
            5490,
            &["S", "M", "L", "XL"],
        ),
    ];
    let mut created = 0;
    for (i, (title, category, material, price, sizes)) in demo.iter().enumerate() {
        let id = Uuid::now_v7();
        let p = ProductBase {
            id,
            vendor_id: vendor,
            slug: crate::domain::slugify(title, 160),
            title: (*title).into(),
            description: Some(format!("{title}. Hecho en Gamarra, Lima.")),
            meta_title: None,
            meta_description: None,
            canonical_slug: None,
            status: "active".into(),
            attributes: serde_json::json!({"material": material}),
            published_at: Some(time::OffsetDateTime::now_utc()),
        };
        if !repo::products::insert(tx.conn(), tenant, &p).await? {
            continue;
        }
        let category_id = category_of(tx.conn(), category).await?;
        repo::products::set_categories(tx.conn(), tenant, id, &[category_id]).await?;
        let tags = ["demo".to_string(), (*category).to_string()];
        repo::products::set_tags(tx.conn(), tenant, id, &tags).await?;
        for (pos, size) in sizes.iter().enumerate() {
            let v = VariantRow {
                id: Uuid::now_v7(),
                product_id: id,
                sku: format!("DEMO-{i}-{size}"),
                title: Some(format!("Talla {size}")),
                options: serde_json::json!({"talla": size}),
                price_minor: *price,
                currency: currency.into(),
                compare_at_minor: None,
                weight_grams: Some(300),
                position: pos as i32,
                available: 0,
            };
            repo::variants::upsert(tx.conn(), tenant, &v, 2).await?;
            let stock = repo::inventory::Change {
                product: id,
                variant: v.id,
                delta: 10 + pos as i32,
                reason: "received",
                note: None,
                actor: admin,
            };
            repo::inventory::adjust(tx.conn(), tenant, &stock).await?;
        }
        repo::search::refresh(tx.conn(), id).await?;
        created += 1;
    }
    tx.commit().await?;
    Ok(created)
}
