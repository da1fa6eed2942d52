use kernel::validate::Validator;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Country;

/// A postal address without the address-book fields: what an order copies as its shipping
/// address. The limits mirror `user_addresses` (and `shipping_addresses`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
#[serde(deny_unknown_fields)]
pub struct PostalAddress {
    #[schema(max_length = 100, example = "Ana Quispe")]
    pub recipient: String,
    #[schema(max_length = 32)]
    pub phone: Option<String>,
    #[schema(max_length = 200, example = "Jr. Gamarra 1234")]
    pub line1: String,
    #[schema(max_length = 200)]
    pub line2: Option<String>,
    #[schema(max_length = 100, example = "Lima")]
    pub city: String,
    #[schema(max_length = 100)]
    pub region: Option<String>,
    #[schema(max_length = 20)]
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2.
    #[schema(example = "PE")]
    pub country: String,
}

impl PostalAddress {
    /// Records what is wrong in `v` under `prefix` (`shipping_address.`), and normalizes what is
    /// right: trimmed required text, an upper-case country code.
    pub fn check(&mut self, v: &mut Validator, prefix: &str) {
        let f = |name: &str| format!("{prefix}{name}");
        v.text(&f("recipient"), &self.recipient, 1, 100)
            .opt_text(&f("phone"), self.phone.as_deref(), 32)
            .text(&f("line1"), &self.line1, 1, 200)
            .opt_text(&f("line2"), self.line2.as_deref(), 200)
            .text(&f("city"), &self.city, 1, 100)
            .opt_text(&f("region"), self.region.as_deref(), 100)
            .opt_text(&f("postal_code"), self.postal_code.as_deref(), 20);
        if let Some(c) = v.parse(Country::parse(&f("country"), &self.country)) {
            self.country = c.as_str().to_string();
        }
        for s in [&mut self.recipient, &mut self.line1, &mut self.city] {
            *s = s.trim().to_string();
        }
    }
}
