//! One pooled connection serving alternating tenants must never leak a tenant between them.

use kernel::db::Db;
use sqlx::postgres::PgPoolOptions;
use uuid::Uuid;

use crate::seeded;

async fn visible_tenants(db: &Db, tenant: Option<Uuid>, commit: bool) -> Vec<Uuid> {
    let mut tx = match tenant {
        Some(t) => db.begin_scoped(t, None).await.unwrap(),
        // The no-tenant case: a plain transaction on the same pool, as a forgetful handler would.
        None => db.begin_scoped(Uuid::nil(), None).await.unwrap(),
    };
    let ids: Vec<Uuid> = sqlx::query_scalar("select tenant_id from users")
        .fetch_all(tx.conn())
        .await
        .unwrap();
    if commit {
        tx.commit().await.unwrap();
    }
    ids
}

#[tokio::test]
async fn one_connection_alternating_tenants_never_crosses() {
    let s = seeded().await;
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(&s.db.app_url)
        .await
        .unwrap();
    let db = Db::from_pool(pool.clone());
    for i in 0..50 {
        // Alternate commit and rollback endings: neither may leave the setting behind.
        let commit = i % 2 == 0;
        assert_eq!(visible_tenants(&db, Some(s.a), commit).await, vec![s.a]);
        assert_eq!(visible_tenants(&db, Some(s.b), commit).await, vec![s.b]);
        assert!(visible_tenants(&db, None, commit).await.is_empty());
        // And a bare query outside any tenant transaction sees nothing either.
        let n: i64 = sqlx::query_scalar("select count(*) from users")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(n, 0, "iteration {i}: the connection kept a tenant");
    }
}
