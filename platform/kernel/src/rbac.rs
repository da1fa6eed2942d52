//! Role-based access control with Casbin, domains being tenants.
//!
//! The model and default policy live in `policies/`. A request's subjects are the caller's roles:
//! `guest` always, `customer` for any signed-in account, plus the roles granted in this tenant
//! (stored in `user_roles`, carried in the access token). Every route names the object and action
//! it needs through [`Can`] in its signature.

use std::{marker::PhantomData, sync::Arc};

use axum::{extract::FromRequestParts, http::request::Parts};
use casbin::{CoreApi, DefaultModel, Enforcer, StringAdapter};

use crate::{error::ApiError, request::RequestCtx};

/// A permission a route needs: a Casbin object and action.
pub trait Permission: Send + Sync + 'static {
    const OBJ: &'static str;
    const ACT: &'static str;
}

/// Declares a permission type: `permission!(ReadProfile, "profile", "read");`
#[macro_export]
macro_rules! permission {
    ($(#[$m:meta])* $name:ident, $obj:literal, $act:literal) => {
        $(#[$m])*
        pub struct $name;
        impl $crate::rbac::Permission for $name {
            const OBJ: &'static str = $obj;
            const ACT: &'static str = $act;
        }
    };
}

#[derive(Clone)]
pub struct Rbac {
    enforcer: Arc<Enforcer>,
}

impl std::fmt::Debug for Rbac {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Rbac")
    }
}

pub const MODEL: &str = include_str!("../../../policies/model.conf");
pub const POLICY: &str = include_str!("../../../policies/policy.csv");

impl Rbac {
    /// The model and default policy compiled into the binary.
    pub async fn load_default() -> anyhow::Result<Self> {
        Self::load(MODEL, POLICY).await
    }

    pub async fn load(model: &str, policy: &'static str) -> anyhow::Result<Self> {
        let model = DefaultModel::from_str(model).await?;
        let enforcer = Enforcer::new(model, StringAdapter::new(policy)).await?;
        Ok(Self {
            enforcer: Arc::new(enforcer),
        })
    }

    /// Whether any of `roles` may `act` on `obj` in `domain`. The policy is immutable at run time,
    /// so no lock is needed (`enforce` takes `&self`).
    pub fn allows<'a>(
        &self,
        roles: impl IntoIterator<Item = &'a str>,
        domain: &str,
        obj: &str,
        act: &str,
    ) -> bool {
        roles.into_iter().any(|role| {
            self.enforcer
                .enforce((role, domain, obj, act))
                .unwrap_or_else(|e| {
                    tracing::error!(error = %e, "casbin enforce failed");
                    false
                })
        })
    }
}

impl RequestCtx {
    /// Whether the caller holds permission `P` in this tenant (for a handler whose answer
    /// depends on it, where [`Can`] would refuse the request).
    pub fn may<P: Permission>(&self) -> bool {
        self.auth_error.is_none()
            && self
                .rbac
                .allows(self.roles(), &self.tenant.rbac_domain(), P::OBJ, P::ACT)
    }
}

/// Extractor proving the caller holds permission `P` in this tenant. Guests who lack it get 401
/// (sign in first); signed-in callers who lack it get 403.
pub struct Can<P: Permission>(PhantomData<P>);

impl<P: Permission, S: Send + Sync> FromRequestParts<S> for Can<P> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        // Read the context in place: the handler clones it once if it asks for it.
        let ctx = parts.extensions.get::<RequestCtx>().ok_or_else(|| {
            ApiError::internal(anyhow::anyhow!(
                "tenant middleware not installed on this route"
            ))
        })?;
        // A presented but invalid token is never silently downgraded to a guest.
        if let Some(reason) = ctx.auth_error {
            return Err(ApiError::Unauthorized(reason));
        }
        let domain = ctx.tenant.rbac_domain();
        if ctx.rbac.allows(ctx.roles(), &domain, P::OBJ, P::ACT) {
            return Ok(Can(PhantomData));
        }
        Err(if ctx.principal.is_none() {
            ApiError::Unauthorized("sign-in required")
        } else {
            ApiError::Forbidden
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn default_policy() {
        let rbac = Rbac::load_default().await.unwrap();
        let t = "6f0f3c9e-0000-7000-8000-000000000001";
        assert!(rbac.allows(["guest"], t, "account", "register"));
        assert!(!rbac.allows(["guest"], t, "profile", "read"));
        assert!(rbac.allows(["guest", "customer"], t, "profile", "read"));
        assert!(!rbac.allows(["customer"], t, "roles", "manage"));
        assert!(rbac.allows(["admin"], t, "roles", "manage"));
        assert!(!rbac.allows(["admin"], t, "tenants", "manage"));
        assert!(!rbac.allows(["platform_admin"], t, "tenants", "manage"));
        assert!(rbac.allows(["platform_admin"], "platform", "tenants", "manage"));
    }
}
