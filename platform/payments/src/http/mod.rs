//! Handlers by resource. Each names its permission (`Can<…>`), reaches rows only through a
//! tenant transaction (RLS adds who may see which rows) and documents itself for OpenAPI.

use kernel::AppState;
use utoipa_axum::router::OpenApiRouter;

mod gateways;
mod methods;
mod payments;
mod refunds;
mod webhooks;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(payments::routes())
        .merge(refunds::routes())
        .merge(methods::routes())
        .merge(gateways::routes())
        .merge(webhooks::routes())
}
