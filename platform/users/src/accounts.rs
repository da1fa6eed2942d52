//! Creating an account: one path for registration and for the operator commands
//! (`api::create_user`), so both validate, hash and insert alike.

use kernel::{ApiError, auth::hash_password, error::on_constraint, validate::Validator};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{
    domain::{Email, Password, limits},
    repo,
};

/// A validated new account; the password is hashed by [`NewAccount::hash`].
pub struct NewAccount {
    pub email: Email,
    password: Password,
    pub display_name: String,
}

impl NewAccount {
    /// Checks every field and answers once with all that is wrong.
    pub fn parse(
        email: &str,
        password: &str,
        display_name: Option<&str>,
    ) -> Result<Self, ApiError> {
        let mut v = Validator::new();
        let email = v.parse(Email::parse("email", email));
        let password = v.parse(Password::parse("password", password));
        let display_name = display_name.unwrap_or_default().trim().to_string();
        v.text("display_name", &display_name, 0, limits::DISPLAY_NAME)
            .finish()?;
        let (Some(email), Some(password)) = (email, password) else {
            unreachable!("finish() refused every parse error")
        };
        Ok(Self {
            email,
            password,
            display_name,
        })
    }

    /// The argon2id hash. Call it before opening the transaction: it takes ~50 ms and should not
    /// hold a connection.
    pub async fn hash(&self) -> Result<String, ApiError> {
        hash_password(self.password.clone().into_inner()).await
    }
}

/// Inserts the user with its profile and preferences inside the caller's tenant transaction.
/// A taken email in this tenant is a 409 `email_taken`.
pub async fn insert(
    conn: &mut PgConnection,
    tenant: Uuid,
    account: &NewAccount,
    password_hash: &str,
    verified: bool,
    locale: Option<&str>,
) -> Result<Uuid, ApiError> {
    let id = Uuid::now_v7();
    repo::users::insert(
        conn,
        id,
        tenant,
        account.email.as_str(),
        password_hash,
        verified,
    )
    .await
    .map_err(on_constraint(
        repo::users::EMAIL_UNIQUE,
        ApiError::conflict("email_taken"),
    ))?;
    repo::profiles::insert(conn, id, tenant, &account.display_name, locale).await?;
    Ok(id)
}
