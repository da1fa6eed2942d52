//! Handlers by resource. Each module exports its routes; each handler names its permission
//! (`Can<…>`), reaches rows only through a tenant transaction and documents itself for OpenAPI.

use kernel::AppState;
use serde::{Deserialize, Deserializer};
use utoipa_axum::{router::OpenApiRouter, routes};

mod categories;
mod images;
mod inventory;
mod products;
mod search;
mod variants;
mod vendors;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(vendors::routes())
        .merge(categories::routes())
        .merge(search::routes())
        .routes(routes!(search::list_products, products::create_product))
        .routes(routes!(products::list_managed_products))
        .routes(routes!(
            products::get_product,
            products::update_product,
            products::delete_product
        ))
        .merge(variants::routes())
        .merge(inventory::routes())
        .merge(images::routes())
}

/// For PATCH bodies: tells "absent" (`None`) from "null" (`Some(None)`).
pub(crate) fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}
