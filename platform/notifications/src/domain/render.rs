//! Templates to text. The shipped wording is Fluent in `platform/locales/<locale>/notifications.ftl`
//! (`notify-<template>-subject`, `-body`, `-short` for SMS and push, `-html` for email); a tenant
//! may replace it per template, channel and locale with Fluent patterns of its own
//! (`notification_templates`), rendered by the same engine with the same arguments.

use fluent_bundle::{FluentArgs, FluentBundle, FluentResource};
use kernel::i18n::Locale;

use super::Channel;

/// What a recipient reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Content {
    pub subject: String,
    pub body: String,
    /// Email only.
    pub html: Option<String>,
}

/// A tenant's wording: Fluent patterns.
#[derive(Clone, Debug)]
pub struct Wording {
    pub subject: String,
    pub body: String,
    pub html: Option<String>,
}

/// Every argument a template may use. Overrides are checked against these names.
pub const ARGUMENTS: &[&str] = &[
    "marketplace",
    "name",
    "number",
    "total",
    "amount",
    "date",
    "url",
    "status",
    "reason",
    "carrier",
    "tracking_number",
    "tracking_url",
    "title",
    "message",
];

pub fn render(
    template: &str,
    channel: Channel,
    locale: Locale,
    args: &[(&str, String)],
    wording: Option<&Wording>,
) -> Content {
    match wording {
        Some(w) => from_wording(w, channel, locale, args),
        None => shipped(template, channel, locale, args),
    }
}

fn shipped(template: &str, channel: Channel, locale: Locale, args: &[(&str, String)]) -> Content {
    let text = |part: &str| locale.lookup(&format!("notify-{template}-{part}"), args);
    let subject = text("subject").unwrap_or_else(|| template.replace('_', " "));
    let body = text("body").unwrap_or_default();
    let body = match channel {
        Channel::Sms | Channel::Push => text("short").unwrap_or(body),
        _ => body,
    };
    let html = (channel == Channel::Email).then(|| {
        let escaped: Vec<(&str, String)> = args.iter().map(|(k, v)| (*k, escape(v))).collect();
        locale
            .lookup(&format!("notify-{template}-html"), &escaped)
            .unwrap_or_else(|| paragraphs(&body))
    });
    Content {
        subject,
        body,
        html,
    }
}

fn from_wording(w: &Wording, channel: Channel, locale: Locale, args: &[(&str, String)]) -> Content {
    let subject = format_one(locale, &w.subject, args).unwrap_or_else(|_| w.subject.clone());
    let body = format_one(locale, &w.body, args).unwrap_or_else(|_| w.body.clone());
    let html = (channel == Channel::Email).then(|| {
        let escaped: Vec<(&str, String)> = args.iter().map(|(k, v)| (*k, escape(v))).collect();
        w.html
            .as_deref()
            .map(|h| format_one(locale, h, &escaped).unwrap_or_else(|_| h.to_string()))
            .unwrap_or_else(|| paragraphs(&body))
    });
    Content {
        subject,
        body,
        html,
    }
}

/// Checks a tenant's pattern: it must parse and use only known arguments. The error says why.
pub fn check(pattern: &str) -> Result<(), String> {
    let samples: Vec<(&str, String)> = ARGUMENTS.iter().map(|a| (*a, "x".to_string())).collect();
    format_one(Locale::Es, pattern, &samples).map(|_| ())
}

/// Formats one pattern. Multi-line text becomes a Fluent multi-line value (continuation lines
/// indented); errors (syntax, unknown variables) are reported rather than rendered.
fn format_one(locale: Locale, pattern: &str, args: &[(&str, String)]) -> Result<String, String> {
    let mut source = String::from("m =");
    for line in pattern.lines() {
        source.push_str("\n    ");
        source.push_str(line);
    }
    source.push('\n');
    let resource = FluentResource::try_new(source).map_err(|(_, errors)| {
        errors
            .first()
            .map(|e| format!("{:?}", e.kind))
            .unwrap_or_else(|| "syntax error".into())
    })?;
    let lang = unic_langid::LanguageIdentifier::from_bytes(locale.as_str().as_bytes())
        .map_err(|e| e.to_string())?;
    let mut bundle = FluentBundle::new(vec![lang]);
    bundle.set_use_isolating(false);
    bundle
        .add_resource(resource)
        .map_err(|_| "duplicate message".to_string())?;
    let pattern = bundle
        .get_message("m")
        .and_then(|m| m.value())
        .ok_or_else(|| "empty pattern".to_string())?;
    let mut fluent_args = FluentArgs::new();
    for (k, v) in args {
        fluent_args.set(*k, v.clone());
    }
    let mut errors = Vec::new();
    let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
    match errors.first() {
        Some(e) => Err(e.to_string()),
        None => Ok(text.into_owned()),
    }
}

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Plain text as HTML paragraphs, escaped.
fn paragraphs(text: &str) -> String {
    text.split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| format!("<p>{}</p>", escape(p).replace('\n', "<br>")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> Vec<(&'static str, String)> {
        vec![
            ("marketplace", "Gamarra <Shop>".into()),
            ("number", "GM-1".into()),
            ("total", "S/ 10,00".into()),
            ("name", "Ana <b>".into()),
            ("url", "https://x".into()),
            ("date", "hoy".into()),
        ]
    }

    #[test]
    fn shipped_templates_by_locale_and_channel() {
        let es = render("order_placed", Channel::Email, Locale::Es, &args(), None);
        let en = render("order_placed", Channel::Email, Locale::En, &args(), None);
        assert!(es.subject.contains("GM-1"), "{es:?}");
        assert_ne!(es.subject, en.subject);
        let html = es.html.unwrap();
        assert!(html.contains("Ana &lt;b&gt;"), "{html}");
        assert!(!html.contains("<b>"));
        let sms = render("order_placed", Channel::Sms, Locale::Es, &args(), None);
        assert!(sms.html.is_none());
        assert!(sms.body.len() < es.body.len(), "{sms:?}");
    }

    #[test]
    fn overrides_use_the_same_arguments() {
        let w = Wording {
            subject: "Tu pedido { $number }".into(),
            body: "Hola { $name }\n\nTotal: { $total }".into(),
            html: None,
        };
        let c = render(
            "order_placed",
            Channel::Email,
            Locale::Es,
            &args(),
            Some(&w),
        );
        assert_eq!(c.subject, "Tu pedido GM-1");
        assert_eq!(c.body, "Hola Ana <b>\n\nTotal: S/ 10,00");
        assert_eq!(
            c.html.unwrap(),
            "<p>Hola Ana &lt;b&gt;</p><p>Total: S/ 10,00</p>"
        );
    }

    #[test]
    fn checks_patterns() {
        assert!(check("Pedido { $number }").is_ok());
        assert!(check("Pedido { $nope }").unwrap_err().contains("nope"));
        assert!(check("Pedido { $number").is_err());
    }
}
