//! Tenant administration: list accounts, grant and revoke roles. On a marketplace, admins manage
//! `vendor` and `admin`; on the platform host, platform admins manage `platform_admin` only.

use axum::{Json, extract::State};
use kernel::{
    ApiError, AppState, RequestCtx,
    error::Problem,
    error::on_constraint,
    extract::{AppPath, AppQuery},
    pagination::{Page, PageQuery},
    rbac::Can,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::views::User;
use crate::{domain::GrantableRole, permissions as perm, repo};

/// The accounts of this tenant.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, body = Page<User>),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_users(
    _: Can<perm::ReadUsers>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<PageQuery>,
) -> Result<Json<Page<User>>, ApiError> {
    let (limit, cursor) = (q.limit()?, q.cursor::<Uuid>()?);
    let mut tx = state.db.begin_for(&ctx).await?;
    let rows = repo::users::list(tx.conn(), cursor, limit).await?;
    tx.commit().await?;
    Ok(Json(Page::from_rows(rows, limit, |r| r.id).map(User::from)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Roles {
    pub user_id: Uuid,
    /// Granted roles (`customer` is implied and not listed).
    pub roles: Vec<String>,
}

async fn roles_of(conn: &mut sqlx::PgConnection, user: Uuid) -> Result<Roles, ApiError> {
    let roles = repo::roles::of_existing_user(conn, user)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Roles {
        user_id: user,
        roles,
    })
}

/// The roles granted to an account of this tenant.
#[utoipa::path(get, path = "/api/v1/users/{id}/roles", tag = "users", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 200, body = Roles),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_user_roles(
    _: Can<perm::ReadUsers>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
) -> Result<Json<Roles>, ApiError> {
    let mut tx = state.db.begin_for(&ctx).await?;
    let roles = roles_of(tx.conn(), id).await?;
    tx.commit().await?;
    Ok(Json(roles))
}

/// Grants a role (idempotent). It reaches the user's tokens at their next sign-in or refresh.
#[utoipa::path(put, path = "/api/v1/users/{id}/roles/{role}", tag = "users", security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "User id"),
        ("role" = String, Path, description = "`vendor` or `admin` on a marketplace; `platform_admin` on the platform"),
    ),
    responses(
        (status = 200, body = Roles),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Role not grantable here", body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn grant_role(
    _: Can<perm::ManageRoles>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath((id, role)): AppPath<(Uuid, String)>,
) -> Result<Json<Roles>, ApiError> {
    let role =
        GrantableRole::parse(&ctx.tenant, &role).map_err(|e| ApiError::Validation(vec![e]))?;
    let me = ctx.require_user()?;
    let mut tx = state.db.begin_for(&ctx).await?;
    // An unknown (or another tenant's) user fails the foreign key: 404.
    repo::roles::grant(
        tx.conn(),
        ctx.tenant.id,
        id,
        role.as_str(),
        Some(me.user_id),
    )
    .await
    .map_err(on_constraint(repo::roles::USER_FK, ApiError::NotFound))?;
    let roles = roles_of(tx.conn(), id).await?;
    tx.commit().await?;
    Ok(Json(roles))
}

/// Revokes a role and signs the user out everywhere, so no refresh keeps the old role. Access
/// tokens already issued keep it until they expire (`ACCESS_TOKEN_TTL_SECS`, 15 minutes by
/// default). Administrators cannot revoke their own administrator role (no lock-out).
#[utoipa::path(delete, path = "/api/v1/users/{id}/roles/{role}", tag = "users", security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "User id"),
        ("role" = String, Path, description = "`vendor` or `admin` on a marketplace; `platform_admin` on the platform"),
    ),
    responses(
        (status = 200, body = Roles),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`cannot_revoke_own_admin`", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn revoke_role(
    _: Can<perm::ManageRoles>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath((id, role)): AppPath<(Uuid, String)>,
) -> Result<Json<Roles>, ApiError> {
    let role =
        GrantableRole::parse(&ctx.tenant, &role).map_err(|e| ApiError::Validation(vec![e]))?;
    let me = ctx.require_user()?;
    if id == me.user_id && role.manages_roles() {
        return Err(ApiError::conflict("cannot_revoke_own_admin"));
    }
    let mut tx = state.db.begin_for(&ctx).await?;
    // Nothing is revoked for an unknown user, and `roles_of` below answers 404 for it.
    if repo::roles::revoke(tx.conn(), id, role.as_str()).await? {
        repo::sessions::revoke_all(tx.conn(), id, "roles_changed").await?;
    }
    let roles = roles_of(tx.conn(), id).await?;
    tx.commit().await?;
    Ok(Json(roles))
}
