//! Handlers by resource. Each module exports its routes; each handler names its permission
//! (`Can<…>`), reaches rows only through a tenant transaction and documents itself for OpenAPI.

use kernel::AppState;
use utoipa_axum::{router::OpenApiRouter, routes};

mod cart;
mod checkout;
mod orders;
mod vendor;
mod views;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(cart::routes())
        .routes(routes!(checkout::place_order, orders::list_my_orders))
        .merge(orders::routes())
        .merge(vendor::routes())
}

#[cfg(test)]
mod tests {
    use kernel::i18n::Locale;

    #[test]
    fn every_code_has_messages_in_every_locale() {
        for code in [
            "cart_empty",
            "cart_full",
            "out_of_stock",
            "price_changed",
            "amount_too_large",
            "order_transition_invalid",
            "order_expired",
            "tracking_not_allowed",
            "tracking_exists",
        ] {
            for l in Locale::ALL {
                assert!(l.has(&format!("problem-{code}-title")), "{l}: {code}");
                assert!(l.has(&format!("problem-{code}-detail")), "{l}: {code}");
            }
        }
        let args: Vec<(&str, String)> = ["field", "other", "max", "sku", "available", "requested"]
            .into_iter()
            .map(|a| (a, "x".to_string()))
            .collect();
        for field in ["unknown_variant", "out_of_stock", "exclusive", "too_many"] {
            for l in Locale::ALL {
                let id = format!("field-{field}");
                assert_ne!(l.text_with(&id, &args), id, "{l}: {field}");
            }
        }
    }
}
