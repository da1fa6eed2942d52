//! Console provider: the development sink. Prints to stdout directly, never through `tracing`,
//! because messages carry secrets (verification and reset links) that must not reach log
//! pipelines.

use std::{io::Write, sync::Arc};

use crate::{Channel, Notifier, Outgoing, ProviderConfig, Receipt, SendError};

pub const NAME: &str = "console";

/// Prints messages of `channel`. Takes no settings.
#[derive(Debug, Clone, Copy)]
pub struct Console {
    channel: Channel,
}

impl Console {
    pub fn new(channel: Channel) -> Self {
        Self { channel }
    }
}

fn build(channel: Channel, _config: &ProviderConfig) -> anyhow::Result<Arc<dyn Notifier>> {
    Ok(Arc::new(Console::new(channel)))
}

/// The factory for email (registered as `console` by [`crate::Registry::builtin`]).
pub fn email_factory(config: &ProviderConfig) -> anyhow::Result<Arc<dyn Notifier>> {
    build(Channel::Email, config)
}

pub fn sms_factory(config: &ProviderConfig) -> anyhow::Result<Arc<dyn Notifier>> {
    build(Channel::Sms, config)
}

pub fn push_factory(config: &ProviderConfig) -> anyhow::Result<Arc<dyn Notifier>> {
    build(Channel::Push, config)
}

pub fn webhook_factory(config: &ProviderConfig) -> anyhow::Result<Arc<dyn Notifier>> {
    build(Channel::Webhook, config)
}

/// The text printed for `msg` (pure, so it is unit-tested).
pub fn render(channel: Channel, msg: &Outgoing) -> String {
    let mut out = format!(
        "──── {channel} to {} (tenant {}) [{}] id {}\nSubject: {}\n",
        msg.to, msg.tenant_id, msg.topic, msg.id, msg.subject
    );
    if let Some(url) = &msg.unsubscribe_url {
        out.push_str(&format!("List-Unsubscribe: <{url}>\n"));
    }
    out.push('\n');
    out.push_str(&msg.text);
    out.push('\n');
    if let Some(html) = &msg.html {
        out.push_str(&format!("(html part: {} bytes)\n", html.len()));
    }
    if !msg.data.is_null() && msg.data != serde_json::json!({}) {
        out.push_str(&format!("data: {}\n", msg.data));
    }
    out.push_str("────\n");
    out
}

#[async_trait::async_trait]
impl Notifier for Console {
    fn name(&self) -> &str {
        NAME
    }

    fn channel(&self) -> Channel {
        self.channel
    }

    async fn send(&self, msg: &Outgoing) -> Result<Receipt, SendError> {
        let text = render(self.channel, msg);
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| {
                SendError::Retryable(anyhow::Error::new(e).context("writing to stdout"))
            })?;
        Ok(Receipt {
            provider_message_id: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::outgoing;

    #[test]
    fn renders_envelope_and_body() {
        let msg = outgoing("ana@x.test");
        let text = render(Channel::Email, &msg);
        assert!(text.contains("Subject: Pedido confirmado ñ"), "{text}");
        assert!(text.contains("token=abc"));
        assert!(text.contains("order.placed"));
        assert!(text.contains("ana@x.test"));
        assert!(text.contains(&msg.id.to_string()));
        assert!(text.contains("List-Unsubscribe: <https://x.test/unsubscribe?u=1>"));
        assert!(text.contains("\"order_id\":\"o-1\""));
    }

    #[tokio::test]
    async fn sends_without_settings() {
        let n = sms_factory(&ProviderConfig::default()).unwrap();
        assert_eq!(n.channel(), Channel::Sms);
        let r = n.send(&outgoing("+51999888777")).await.unwrap();
        assert_eq!(r.provider_message_id, None);
    }
}
