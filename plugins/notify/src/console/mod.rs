//! Console provider: the development mailbox. Prints to stdout directly, never through
//! `tracing`, because messages carry secrets (verification and reset links) that must not reach
//! log pipelines.

use std::{io::Write, sync::Arc};

use sqlx::PgConnection;

use crate::{Message, Notifier};

pub fn factory() -> anyhow::Result<Arc<dyn Notifier>> {
    Ok(Arc::new(Console))
}

pub struct Console;

/// The text printed for `msg` (pure, so it is unit-tested).
pub fn render(msg: &Message) -> String {
    format!(
        "──── message to user {} (tenant {}) [{}]\nSubject: {}\n\n{}\n────\n",
        msg.user_id, msg.tenant_id, msg.template, msg.subject, msg.body
    )
}

#[async_trait::async_trait]
impl Notifier for Console {
    fn name(&self) -> &str {
        "console"
    }

    async fn send(&self, _conn: &mut PgConnection, msg: &Message) -> anyhow::Result<()> {
        let mut out = std::io::stdout().lock();
        out.write_all(render(msg).as_bytes())?;
        out.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn renders_subject_and_body() {
        let msg = Message {
            tenant_id: Uuid::nil(),
            user_id: Uuid::nil(),
            template: "verify_email".into(),
            subject: "Hola".into(),
            body: "Abre https://x/verify?token=abc".into(),
            data: serde_json::json!({}),
        };
        let text = render(&msg);
        assert!(text.contains("Subject: Hola"));
        assert!(text.contains("token=abc"));
        assert!(text.contains("verify_email"));
    }
}
