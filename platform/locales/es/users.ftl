# Servicio de usuarios (platform/users).
problem-email_taken-title = Correo ya registrado
problem-email_taken-detail = Ya existe una cuenta con este correo en este marketplace. Inicia sesión o restablece tu contraseña.
problem-invalid_token-title = Enlace inválido o vencido
problem-invalid_token-detail = Este enlace ya fue usado, venció o no existe. Pide uno nuevo.
problem-invalid_credentials-title = Correo o contraseña incorrectos
problem-invalid_credentials-detail = El correo o la contraseña no son correctos.
problem-invalid_refresh_token-title = Sesión vencida
problem-invalid_refresh_token-detail = Tu sesión terminó o fue cerrada. Vuelve a iniciar sesión.
problem-registration_closed-title = Registro cerrado
problem-registration_closed-detail = Aquí no se pueden crear cuentas. Las cuentas del personal de la plataforma las crea un operador.
problem-cannot_revoke_own_admin-title = No puedes quitarte tu propio rol de administrador
problem-cannot_revoke_own_admin-detail = Pide a otro administrador que lo quite, para que el marketplace siempre tenga uno.

