# Escrituras idempotentes (kernel::idempotency, la cabecera Idempotency-Key).
problem-idempotency_key_required-title = Falta la clave de idempotencia
problem-idempotency_key_required-detail = Esta operación necesita la cabecera Idempotency-Key: un valor único (un UUID) que debes reenviar sin cambios si repites la misma solicitud.
problem-idempotency_key_invalid-title = Clave de idempotencia no válida
problem-idempotency_key_invalid-detail = La cabecera Idempotency-Key debe tener entre 1 y 255 caracteres ASCII imprimibles.
problem-idempotency_key_reused-title = Clave de idempotencia ya utilizada
problem-idempotency_key_reused-detail = Esta Idempotency-Key ya se usó para una solicitud diferente. Usa una clave nueva para cada operación nueva.
problem-idempotency_key_in_progress-title = Solicitud en curso
problem-idempotency_key_in_progress-detail = Una solicitud con esta Idempotency-Key todavía se está procesando. Vuelve a intentarlo en unos segundos para obtener su resultado.
