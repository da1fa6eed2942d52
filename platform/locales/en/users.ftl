# User service (platform/users).
problem-email_taken-title = Email already registered
problem-email_taken-detail = An account with this email already exists in this marketplace. Sign in or reset your password.
problem-invalid_token-title = Invalid or expired link
problem-invalid_token-detail = This link was already used, has expired or does not exist. Ask for a new one.
problem-invalid_credentials-title = Wrong email or password
problem-invalid_credentials-detail = The email or the password is not correct.
problem-invalid_refresh_token-title = Session expired
problem-invalid_refresh_token-detail = Your session ended or was closed. Sign in again.
problem-registration_closed-title = Registration closed
problem-registration_closed-detail = Accounts cannot be created here. Platform staff accounts are created by an operator.
problem-cannot_revoke_own_admin-title = Cannot remove your own administrator role
problem-cannot_revoke_own_admin-detail = Ask another administrator to remove it, so the marketplace always keeps one.

