//! Validated values of the tenant registry ("parse, don't validate"). No IO.
//!
//! Each parser returns the field-error code it would report; handlers attach the field name.
//! The codes have `field-<code>` messages in `platform/locales/*/tenants.ftl`.

use std::fmt;

use kernel::error::FieldError;

/// Subdomains a marketplace can never take: they name platform services, or would confuse users.
pub const RESERVED_SLUGS: &[&str] = &[
    "www",
    "api",
    "admin",
    "platform",
    "app",
    "mail",
    "static",
    "cdn",
    "docs",
    "status",
    "help",
    "support",
    "auth",
    "login",
    "dashboard",
    "assets",
];

/// The longest tenant name (the `tenants.name` check constraint).
pub const NAME_MAX: usize = 200;
/// The longest suspension reason kept.
pub const REASON_MAX: usize = 500;
/// The longest `?q=` prefix accepted by the tenant list.
pub const QUERY_MAX: usize = 63;

/// Whether `label` is one DNS label: 1–63 of `a-z`, `0-9`, `-`, not starting or ending with `-`.
fn is_dns_label(label: &str) -> bool {
    (1..=63).contains(&label.len())
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

/// A marketplace slug: one lowercase DNS label, not reserved. It is the marketplace's host
/// (`{slug}.{PLATFORM_DOMAIN}`), so it is never normalized silently: what is stored is what was sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    pub fn parse(raw: &str) -> Result<Slug, &'static str> {
        if raw.is_empty() {
            return Err("required");
        }
        if !is_dns_label(raw) {
            return Err("slug_format");
        }
        if RESERVED_SLUGS.contains(&raw) {
            return Err("slug_reserved");
        }
        Ok(Slug(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A display name: trimmed, 1–200 characters, no control characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantName(String);

impl TenantName {
    pub fn parse(raw: &str) -> Result<TenantName, FieldError> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(FieldError::new("name", "required"));
        }
        if name.chars().count() > NAME_MAX {
            return Err(FieldError::new("name", "too_long").with("max", NAME_MAX));
        }
        if name.chars().any(char::is_control) {
            return Err(FieldError::new("name", "invalid"));
        }
        Ok(TenantName(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An ISO 4217 alphabetic code: exactly three uppercase ASCII letters (`PEN`, `USD`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Currency(String);

impl Currency {
    pub const DEFAULT: &'static str = "PEN";

    pub fn parse(raw: &str) -> Result<Currency, &'static str> {
        if raw.len() == 3 && raw.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Currency(raw.to_string()))
        } else {
            Err("currency_format")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A custom domain a marketplace may answer to: a lowercase fully-qualified name with at least one
/// dot, at most 253 characters, every label a valid DNS label, a top-level label that is not all
/// digits (no IP addresses), and never the platform domain or a name under it (those hosts are
/// the platform's to assign). Upper case and one trailing dot are normalized away, as DNS does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomainName(String);

impl DomainName {
    pub fn parse(raw: &str, platform_domain: &str) -> Result<DomainName, &'static str> {
        let name = raw.trim();
        let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
        if name.is_empty() {
            return Err("required");
        }
        let labels: Vec<&str> = name.split('.').collect();
        let tld_numeric = labels
            .last()
            .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()));
        if name.len() > 253
            || labels.len() < 2
            || !labels.iter().all(|l| is_dns_label(l))
            || tld_numeric
        {
            return Err("domain_format");
        }
        let platform = platform_domain.trim_end_matches('.').to_ascii_lowercase();
        if name == platform || name.ends_with(&format!(".{platform}")) {
            return Err("domain_reserved");
        }
        Ok(DomainName(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The DNS TXT record the domain owner publishes to prove control of it.
    pub fn txt_record(&self) -> String {
        txt_record(&self.0)
    }
}

impl fmt::Display for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `_gamarriando-verify.<domain>`: the name of the TXT record holding the verification token.
pub fn txt_record(domain: &str) -> String {
    format!("_gamarriando-verify.{domain}")
}

/// How a custom domain in a path is looked up: the same normalization as [`DomainName::parse`],
/// without the rules (a stored domain is always valid; anything else is simply not found).
pub fn normalize_domain(raw: &str) -> String {
    let name = raw.trim();
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

/// Problem codes this crate adds (`problem-<code>-title`/`-detail` in every locale).
pub const PROBLEM_CODES: &[&str] = &["slug_taken", "domain_taken"];
/// Field-error codes this crate adds (`field-<code>` in every locale).
pub const FIELD_CODES: &[&str] = &[
    "slug_format",
    "slug_reserved",
    "currency_format",
    "domain_format",
    "domain_reserved",
];

#[cfg(test)]
mod tests {
    use super::*;
    use kernel::i18n::Locale;

    #[test]
    fn every_code_has_messages_in_every_locale() {
        for l in Locale::ALL {
            for code in PROBLEM_CODES {
                assert!(l.has(&format!("problem-{code}-title")), "{l}: {code} title");
                assert!(
                    l.has(&format!("problem-{code}-detail")),
                    "{l}: {code} detail"
                );
            }
            for code in FIELD_CODES {
                // Messages with placeables only format with their arguments.
                let id = format!("field-{code}");
                let text = l.text_with(&id, &[("field", "slug".to_string())]);
                assert!(text != id && text.contains("slug"), "{l}: field {code}");
            }
        }
        assert_ne!(
            Locale::Es.text("problem-slug_taken-title"),
            Locale::En.text("problem-slug_taken-title")
        );
    }

    #[test]
    fn slugs() {
        for ok in ["gamarra", "a", "mesa-redonda", "0", "x1-2", &"a".repeat(63)] {
            assert_eq!(
                Slug::parse(ok).map(|s| s.to_string()),
                Ok(ok.to_string()),
                "{ok}"
            );
        }
        assert_eq!(Slug::parse(""), Err("required"));
        for bad in [
            "Gamarra",
            "-a",
            "a-",
            "a.b",
            "a_b",
            "ñandú",
            " a",
            "a b",
            &"a".repeat(64),
        ] {
            assert_eq!(Slug::parse(bad), Err("slug_format"), "{bad}");
        }
        for reserved in RESERVED_SLUGS {
            assert_eq!(Slug::parse(reserved), Err("slug_reserved"), "{reserved}");
        }
        assert_eq!(RESERVED_SLUGS.len(), 16);
    }

    #[test]
    fn names() {
        assert_eq!(
            TenantName::parse("  Gamarra  ").unwrap().as_str(),
            "Gamarra"
        );
        assert_eq!(TenantName::parse(" ").unwrap_err().code, "required");
        assert!(TenantName::parse(&"ñ".repeat(200)).is_ok());
        assert_eq!(
            TenantName::parse(&"ñ".repeat(201)).unwrap_err().code,
            "too_long"
        );
        assert_eq!(TenantName::parse("a\u{0}b").unwrap_err().code, "invalid");
    }

    #[test]
    fn currencies() {
        assert!(Currency::parse("PEN").is_ok());
        assert!(Currency::parse("USD").is_ok());
        for bad in ["pen", "PE", "PENN", "P3N", "", "ÑAN"] {
            assert_eq!(Currency::parse(bad), Err("currency_format"), "{bad}");
        }
    }

    #[test]
    fn domains() {
        let p = "gamarriando.pe";
        assert_eq!(
            DomainName::parse("shop.example.com", p).unwrap().as_str(),
            "shop.example.com"
        );
        assert_eq!(
            DomainName::parse("Shop.Example.COM.", p).unwrap().as_str(),
            "shop.example.com"
        );
        assert_eq!(
            DomainName::parse("tienda-1.pe", p).unwrap().txt_record(),
            "_gamarriando-verify.tienda-1.pe"
        );
        let long_ok = format!(
            "{}.{}.{}.{}.pe",
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(58)
        );
        assert_eq!(long_ok.len(), 253);
        assert!(DomainName::parse(&long_ok, p).is_ok());
        assert_eq!(DomainName::parse("", p), Err("required"));
        for bad in [
            "localhost",
            "example",
            "a..b.com",
            ".example.com",
            "-a.example.com",
            "a-.example.com",
            "a_b.example.com",
            "shop example.com",
            "http://shop.example.com",
            "shop.example.com/x",
            "192.168.0.1",
            "tienda.ñandú.pe",
            &format!("{}.com", "a".repeat(64)),
            &format!("{long_ok}x"),
        ] {
            assert_eq!(DomainName::parse(bad, p), Err("domain_format"), "{bad}");
        }
        for reserved in [
            "gamarriando.pe",
            "gamarra.gamarriando.pe",
            "a.b.gamarriando.pe",
            "GAMARRIANDO.PE.",
        ] {
            assert_eq!(
                DomainName::parse(reserved, p),
                Err("domain_reserved"),
                "{reserved}"
            );
        }
        // A look-alike that is not under the platform domain is someone else's domain.
        assert!(DomainName::parse("notgamarriando.pe", p).is_ok());
        // The default local platform domain.
        assert_eq!(
            DomainName::parse("gamarra.localhost", "localhost"),
            Err("domain_reserved")
        );
    }
}
