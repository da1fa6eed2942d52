//! In-app provider: the message becomes a row of `notifications`, written in the caller's
//! transaction (so RLS confines it to the caller's tenant).

use std::sync::Arc;

use sqlx::PgConnection;
use uuid::Uuid;

use crate::{Message, Notifier};

pub fn factory() -> anyhow::Result<Arc<dyn Notifier>> {
    Ok(Arc::new(InApp))
}

pub struct InApp;

#[async_trait::async_trait]
impl Notifier for InApp {
    fn name(&self) -> &str {
        "in_app"
    }

    async fn send(&self, conn: &mut PgConnection, msg: &Message) -> anyhow::Result<()> {
        sqlx::query(
            "insert into notifications (id, tenant_id, user_id, channel, template, subject, body, data)
             values ($1, $2, $3, 'in_app', $4, $5, $6, $7)",
        )
        .bind(Uuid::now_v7())
        .bind(msg.tenant_id)
        .bind(msg.user_id)
        .bind(&msg.template)
        .bind(&msg.subject)
        .bind(&msg.body)
        .bind(&msg.data)
        .execute(conn)
        .await?;
        Ok(())
    }
}
