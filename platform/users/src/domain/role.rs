use kernel::{error::FieldError, tenant::Tenant};

/// A role an administrator may grant in this tenant. `customer` is implied and never stored;
/// marketplace admins grant `vendor` and `admin`; on the platform only `platform_admin` exists,
/// so a tenant admin can never mint a platform admin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrantableRole {
    Vendor,
    Admin,
    PlatformAdmin,
}

impl GrantableRole {
    pub fn parse(tenant: &Tenant, raw: &str) -> Result<Self, FieldError> {
        let role = match (tenant.is_platform(), raw) {
            (false, "vendor") => Self::Vendor,
            (false, "admin") => Self::Admin,
            (true, "platform_admin") => Self::PlatformAdmin,
            _ => return Err(FieldError::new("role", "invalid_choice")),
        };
        Ok(role)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Vendor => "vendor",
            Self::Admin => "admin",
            Self::PlatformAdmin => "platform_admin",
        }
    }

    /// Roles that let their holder manage roles: revoking your own would lock you out.
    pub fn manages_roles(self) -> bool {
        matches!(self, Self::Admin | Self::PlatformAdmin)
    }
}
