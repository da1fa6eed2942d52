//! Reads and writes as the runtime role with no tenant, tenant A, and a forged tenant B row.

use kernel::db::Db;
use sqlx::Row;

use crate::{seeded, set_tenant, tenant_tables};

#[tokio::test]
async fn no_tenant_means_no_rows_and_no_writes() {
    let s = seeded().await;
    for t in tenant_tables(&s.db.app).await {
        let mut tx = s.db.app.begin().await.unwrap();
        set_tenant(&mut tx, None).await;
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("select count(*) from {t}")))
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        assert_eq!(n, 0, "{t} shows {n} rows without a tenant");
    }
    // The registry too.
    let n: i64 = sqlx::query_scalar("select count(*) from tenants")
        .fetch_one(&s.db.app)
        .await
        .unwrap();
    assert_eq!(n, 0, "tenants visible without a tenant");

    let err = sqlx::query("insert into users (id, tenant_id, email, password_hash) values (gen_random_uuid(), $1, 'x@y.z', 'h')")
        .bind(s.a)
        .execute(&s.db.app)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("row-level security"), "{err}");
}

#[tokio::test]
async fn tenant_a_sees_only_a_in_every_table() {
    let s = seeded().await;
    for t in tenant_tables(&s.db.app).await {
        let mut tx = s.db.app.begin().await.unwrap();
        set_tenant(&mut tx, Some(s.a)).await;
        // As A's admin: the catalogue's policies show stock history to its vendor and admins only.
        sqlx::query("select set_config('app.user_id', $1, true)")
            .bind(s.user_a.to_string())
            .execute(&mut *tx)
            .await
            .unwrap();
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("select tenant_id from {t}")))
            .fetch_all(&mut *tx)
            .await
            .unwrap();
        assert!(!rows.is_empty(), "{t}: tenant A sees none of its own rows");
        for r in rows {
            let tid: uuid::Uuid = r.get(0);
            assert_eq!(tid, s.a, "{t}: tenant A sees a row of {tid}");
        }
    }
}

#[tokio::test]
async fn writing_b_rows_while_a_is_set_fails() {
    let s = seeded().await;
    let db = Db::from_pool(s.db.app.clone());
    let attempts = [
        "insert into users (id, tenant_id, email, password_hash) values (gen_random_uuid(), $1, 'x@y.z', 'h')",
        "insert into user_roles (tenant_id, user_id, role) values ($1, $2, 'admin')",
        "insert into tenant_domains (tenant_id, domain, verification_token) values ($1, 'evil.example', 't')",
    ];
    for sql in attempts {
        let mut tx = db.begin_scoped(s.a, None).await.unwrap();
        let err = sqlx::query(sql)
            .bind(s.b)
            .bind(s.user_b)
            .execute(tx.conn())
            .await;
        assert!(err.is_err(), "{sql} succeeded for tenant B while A was set");
    }
    // Moving A's row to B is refused by WITH CHECK.
    let mut tx = db.begin_scoped(s.a, None).await.unwrap();
    let err = sqlx::query("update users set tenant_id = $1 where id = $2")
        .bind(s.b)
        .bind(s.user_a)
        .execute(tx.conn())
        .await;
    assert!(err.is_err(), "moving a row to another tenant succeeded");
    drop(tx);
    // Updating or deleting B's rows while A is set touches nothing.
    let mut tx = db.begin_scoped(s.a, None).await.unwrap();
    let n = sqlx::query("update users set password_hash = 'pwned' where id = $1")
        .bind(s.user_b)
        .execute(tx.conn())
        .await
        .unwrap();
    assert_eq!(n.rows_affected(), 0);
    let n = sqlx::query("delete from user_addresses where user_id = $1")
        .bind(s.user_b)
        .execute(tx.conn())
        .await
        .unwrap();
    assert_eq!(n.rows_affected(), 0);
    tx.commit().await.unwrap();
    // A marketplace sees its own registry row only; it cannot rename itself or create tenants.
    let mut tx = db.begin_scoped(s.a, None).await.unwrap();
    let slugs: Vec<String> = sqlx::query_scalar("select slug from tenants")
        .fetch_all(tx.conn())
        .await
        .unwrap();
    assert_eq!(slugs, vec!["alpha".to_string()]);
    let n = sqlx::query("update tenants set name = 'x' where id = $1")
        .bind(s.a)
        .execute(tx.conn())
        .await;
    assert!(
        n.is_err() || n.unwrap().rows_affected() == 0,
        "a marketplace changed the registry"
    );
}
