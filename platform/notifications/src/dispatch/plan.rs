//! An event → the messages it makes: for each rule of its topic, each person the rule names,
//! each channel their preferences allow and the tenant configured, one row in their locale; and
//! one row per webhook endpoint subscribed to the topic. One transaction; re-planning the same
//! event writes nothing new (unique per event, channel and recipient).

use std::collections::{HashMap, HashSet};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use kernel::{
    AppState,
    i18n::Locale,
    outbox::{self, Claimed, Event, HandlerError},
};
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Dispatcher, SEND_TOPIC, retryable};
use crate::{
    api,
    domain::{
        Category, Channel, format, preferences,
        render::{self, Wording},
        topics::{self, Audience, Rule, WEBHOOK_TOPICS},
    },
    repo::{
        self,
        notifications::NewNotification,
        recipients::{Recipient, Setting},
    },
};

/// Plans `events`, all of `tenant`, in one transaction: the marketplace's settings and every
/// recipient are read once for all of them.
pub(super) async fn plan(
    d: &Dispatcher,
    tenant: Uuid,
    events: &[&Claimed],
) -> Result<(), HandlerError> {
    // Events nobody hears of (`order.processing`) need no transaction at all.
    let events: Vec<&Claimed> = events
        .iter()
        .copied()
        .filter(|ev| {
            !topics::rules(&ev.topic).is_empty() || WEBHOOK_TOPICS.contains(&ev.topic.as_str())
        })
        .collect();
    if events.is_empty() {
        return Ok(());
    }
    let mut tx = d.begin(tenant).await.map_err(retryable)?;
    let conn = tx.conn();
    // Who the rules name, read once for the whole batch: vendors' owners and the admins.
    let needs = |audience| {
        events.iter().any(|ev| {
            topics::rules(&ev.topic)
                .iter()
                .any(|r| r.audience == audience)
        })
    };
    let vendor_ids: Vec<Uuid> = events
        .iter()
        .flat_map(|ev| uuid_list(&ev.payload, "vendor_ids"))
        .collect();
    let owners: HashMap<Uuid, Uuid> = if needs(Audience::Vendors) && !vendor_ids.is_empty() {
        repo::recipients::vendor_owners(conn, &vendor_ids)
            .await
            .map_err(retryable)?
    } else {
        HashMap::new()
    };
    let admins = if needs(Audience::Admins) {
        repo::recipients::admins(conn).await.map_err(retryable)?
    } else {
        Vec::new()
    };
    let mut planned = Vec::with_capacity(events.len());
    let mut templates = Vec::new();
    let mut hook_topics = Vec::new();
    for ev in &events {
        let rules = topics::rules(&ev.topic);
        let mut audiences = Vec::with_capacity(rules.len());
        for rule in rules {
            let ids = match rule.audience {
                Audience::Subject => uuid_field(&ev.payload, "user_id").into_iter().collect(),
                Audience::Customer => uuid_field(&ev.payload, "customer_id").into_iter().collect(),
                Audience::Vendors => uuid_list(&ev.payload, "vendor_ids")
                    .iter()
                    .filter_map(|v| owners.get(v).copied())
                    .collect(),
                Audience::Admins => admins.clone(),
            };
            templates.push(rule.template);
            audiences.push((*rule, ids));
        }
        if WEBHOOK_TOPICS.contains(&ev.topic.as_str()) {
            hook_topics.push(ev.topic.as_str());
        }
        let link = match ev.topic.starts_with("user.") {
            true => Some(
                api::open_account_link(&d.state.secrets, tenant, &ev.payload)
                    .map_err(HandlerError::permanent)?,
            ),
            false => None,
        };
        planned.push((*ev, audiences, link));
    }
    templates.sort();
    templates.dedup();
    hook_topics.sort();
    hook_topics.dedup();
    let Some(setting) = repo::recipients::setting(conn, tenant, &templates, &hook_topics)
        .await
        .map_err(retryable)?
    else {
        return Err(HandlerError::permanent(anyhow::anyhow!(
            "the tenant no longer exists"
        )));
    };
    let everyone: Vec<Uuid> = planned
        .iter()
        .flat_map(|(_, audiences, _)| audiences.iter().flat_map(|(_, ids)| ids))
        .copied()
        .collect();
    let people = repo::recipients::load(conn, &everyone)
        .await
        .map_err(retryable)?;
    let mut rows = Vec::new();
    for (ev, audiences, link) in &planned {
        let what = Occasion {
            tenant,
            event_id: ev.id,
            topic: &ev.topic,
            payload: &ev.payload,
            link: link.as_deref(),
        };
        rows.extend(messages(
            &d.state, &setting, &people, &what, audiences, None,
        ));
        rows.extend(webhook_messages(&setting, &what));
    }
    write(conn, tenant, &rows, None).await.map_err(retryable)?;
    tx.commit().await.map_err(retryable)
}

/// What messages are about.
pub(crate) struct Occasion<'a> {
    pub tenant: Uuid,
    /// The event (or admin request) they come from: one message per channel and recipient of it.
    pub event_id: Uuid,
    pub topic: &'a str,
    pub payload: &'a Value,
    /// The account link of `user.*` events, opened.
    pub link: Option<&'a str>,
}

/// The messages for `audiences` (each rule with the people it names): per person, per channel
/// their preferences allow and the tenant configured, rendered in their locale. `send_at` in
/// the future makes them `scheduled`.
pub(crate) fn messages(
    state: &AppState,
    setting: &Setting,
    people: &HashMap<Uuid, Recipient>,
    what: &Occasion<'_>,
    audiences: &[(Rule, Vec<Uuid>)],
    send_at: Option<OffsetDateTime>,
) -> Vec<NewNotification> {
    let configured: HashSet<&str> = setting.channels.iter().map(String::as_str).collect();
    let wordings: HashMap<(&str, &str, &str), Wording> = setting
        .wordings
        .iter()
        .map(|t| {
            let wording = Wording {
                subject: t.subject.clone(),
                body: t.body.clone(),
                html: t.html.clone(),
            };
            (
                (t.template.as_str(), t.channel.as_str(), t.locale.as_str()),
                wording,
            )
        })
        .collect();
    let ctx = Context {
        state,
        what,
        market: setting,
    };
    let now = OffsetDateTime::now_utc();
    let (status_in_app, status_other, due) = match send_at {
        Some(at) if at > now => ("scheduled", "scheduled", at),
        _ => ("sent", "pending", now),
    };
    let mut rows = Vec::new();
    for (rule, ids) in audiences {
        for person in ids.iter().filter_map(|id| people.get(id)) {
            for channel in Channel::PERSONAL {
                let stored = person.preference(channel, rule.category);
                if !preferences::allows(channel, rule.category, rule.mandatory, stored)
                    || (channel != Channel::InApp && !configured.contains(channel.as_str()))
                {
                    continue;
                }
                let recipient = match channel {
                    Channel::InApp => None,
                    Channel::Email => Some(person.email.clone()),
                    Channel::Sms => match &person.phone {
                        Some(p) if !p.is_empty() => Some(p.clone()),
                        _ => continue,
                    },
                    Channel::Push if person.has_push => Some("devices".into()),
                    Channel::Push | Channel::Webhook => continue,
                };
                let locale = ctx.locale(person);
                let key = (rule.template, channel.as_str(), locale.as_str());
                let args = ctx.args(person, locale);
                let mut content =
                    render::render(rule.template, channel, locale, &args, wordings.get(&key));
                let mut data = ctx.data();
                if channel == Channel::Email && !rule.mandatory {
                    let url = ctx.unsubscribe_url(person.id, rule.category);
                    content.body.push_str("\n\n");
                    content.body.push_str(
                        &locale.text_with("notify-footer-unsubscribe", &[("url", url.clone())]),
                    );
                    if let Some(html) = &mut content.html {
                        let escaped = [("url", render::escape(&url))];
                        html.push_str(
                            &locale.text_with("notify-footer-unsubscribe-html", &escaped),
                        );
                    }
                    data["unsubscribe_url"] = json!(url);
                }
                rows.push(NewNotification {
                    id: Uuid::now_v7(),
                    user_id: Some(person.id),
                    endpoint_id: None,
                    event_id: Some(what.event_id),
                    topic: what.topic.to_string(),
                    channel: channel.as_str(),
                    category: rule.category.as_str(),
                    template: rule.template.to_string(),
                    locale: Some(locale.as_str()),
                    recipient,
                    subject: content.subject,
                    body: content.body,
                    html: content.html,
                    data,
                    status: if channel == Channel::InApp {
                        status_in_app
                    } else {
                        status_other
                    },
                    send_at: due,
                });
            }
        }
    }
    rows
}

/// One message per enabled endpoint subscribed to the topic; the body is the event payload.
fn webhook_messages(setting: &Setting, what: &Occasion<'_>) -> Vec<NewNotification> {
    setting
        .endpoints
        .iter()
        .filter(|e| e.topics.iter().any(|t| t == what.topic))
        .map(|endpoint| NewNotification {
            id: Uuid::now_v7(),
            user_id: None,
            endpoint_id: Some(endpoint.id),
            event_id: Some(what.event_id),
            topic: what.topic.to_string(),
            channel: Channel::Webhook.as_str(),
            category: Category::Transactional.as_str(),
            template: "webhook".into(),
            locale: None,
            recipient: Some(endpoint.url.clone()),
            subject: what.topic.to_string(),
            body: String::new(),
            html: None,
            data: what.payload.clone(),
            status: "pending",
            send_at: OffsetDateTime::now_utc(),
        })
        .collect()
}

/// Writes the messages and, in the same transaction, the work item that sends each one not
/// already delivered by being written (in-app messages due now). Scheduled messages' work
/// items are due at their time. Returns what was written (id, channel).
pub(crate) async fn write(
    conn: &mut sqlx::PgConnection,
    tenant: Uuid,
    rows: &[NewNotification],
    scheduled_at: Option<OffsetDateTime>,
) -> Result<Vec<(Uuid, String)>, sqlx::Error> {
    let written = repo::notifications::insert_all(conn, tenant, rows).await?;
    let sends: Vec<Event> = written
        .iter()
        .filter(|(_, channel)| scheduled_at.is_some() || channel != Channel::InApp.as_str())
        .map(|(id, _)| Event::new(SEND_TOPIC, *id, json!({})))
        .collect();
    outbox::emit_per_aggregate(conn, tenant, &sends, scheduled_at).await?;
    Ok(written)
}

struct Context<'a> {
    state: &'a AppState,
    what: &'a Occasion<'a>,
    market: &'a Setting,
}

impl Context<'_> {
    /// The person's language, else the one the event was made in, else the marketplace's.
    fn locale(&self, person: &Recipient) -> Locale {
        person
            .locale
            .as_deref()
            .or_else(|| self.what.payload.get("locale").and_then(Value::as_str))
            .and_then(Locale::parse)
            .or_else(|| Locale::parse(&self.market.default_locale))
            .unwrap_or_default()
    }

    fn host(&self) -> String {
        format!("{}.{}", self.market.slug, self.state.config.platform_domain)
    }

    fn args(&self, person: &Recipient, locale: Locale) -> Vec<(&'static str, String)> {
        let p = &self.what.payload;
        let text = |k: &str| p.get(k).and_then(Value::as_str).map(str::to_string);
        let money = |k: &str| {
            let minor = p.get(k).and_then(Value::as_i64)?;
            let currency = p.get("currency").and_then(Value::as_str)?;
            Some(format::money(minor, currency, locale))
        };
        let name = if person.name.is_empty() {
            person
                .email
                .split('@')
                .next()
                .unwrap_or_default()
                .to_string()
        } else {
            person.name.clone()
        };
        let url = match (self.what.link, uuid_field(p, "order_id")) {
            (Some(link), _) => Some(link.to_string()),
            (None, Some(order)) => Some(
                self.state
                    .config
                    .public_url(&self.host(), &format!("/account/orders/{order}")),
            ),
            _ => None,
        };
        let mut args = vec![
            ("marketplace", self.market.name.clone()),
            ("name", name),
            ("date", format::date(OffsetDateTime::now_utc(), locale)),
        ];
        for (k, v) in [
            ("number", text("number")),
            ("status", text("status")),
            ("reason", text("reason")),
            ("carrier", text("carrier")),
            ("tracking_number", text("tracking_number")),
            ("tracking_url", text("tracking_url")),
            ("title", text("title")),
            ("message", text("message")),
            ("total", money("total_minor")),
            ("amount", money("amount_minor")),
            ("url", url),
        ] {
            if let Some(v) = v {
                args.push((k, v));
            }
        }
        args
    }

    /// What an in-app client needs to link the message to its subject. Never the sealed link.
    fn data(&self) -> Value {
        let mut data = json!({ "topic": self.what.topic });
        for key in ["order_id", "number", "vendor_order_id", "status"] {
            if let Some(v) = self.what.payload.get(key) {
                data[key] = v.clone();
            }
        }
        if let Some(link) = self.what.link {
            data["url"] = json!(link);
        }
        data
    }

    fn unsubscribe_url(&self, user: Uuid, category: Category) -> String {
        let token = unsubscribe_token(&self.state.secrets, self.what.tenant, user, category);
        self.state.config.public_url(
            &self.host(),
            &format!("/api/v1/notifications/unsubscribe?token={token}"),
        )
    }
}

fn unsubscribe_context(tenant: Uuid) -> String {
    format!("notifications/unsubscribe/{tenant}")
}

/// An opaque, authenticated token naming a user and a category of email, valid in one tenant.
pub fn unsubscribe_token(
    secrets: &kernel::secrets::Sealer,
    tenant: Uuid,
    user: Uuid,
    category: Category,
) -> String {
    let claim = format!("{user}/{}", category.as_str());
    let sealed = secrets
        .seal(&unsubscribe_context(tenant), claim.as_bytes())
        .expect("sealing with the system random source");
    URL_SAFE_NO_PAD.encode(sealed)
}

/// The user and category of a token made by [`unsubscribe_token`] in this tenant.
pub fn open_unsubscribe_token(
    secrets: &kernel::secrets::Sealer,
    tenant: Uuid,
    token: &str,
) -> Option<(Uuid, Category)> {
    let sealed = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
    let claim =
        String::from_utf8(secrets.open(&unsubscribe_context(tenant), &sealed).ok()?).ok()?;
    let (user, category) = claim.split_once('/')?;
    Some((user.parse().ok()?, Category::parse(category)?))
}

fn uuid_field(v: &Value, key: &str) -> Option<Uuid> {
    v.get(key)?.as_str()?.parse().ok()
}

fn uuid_list(v: &Value, key: &str) -> Vec<Uuid> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|x| x.as_str()?.parse().ok()).collect())
        .unwrap_or_default()
}
