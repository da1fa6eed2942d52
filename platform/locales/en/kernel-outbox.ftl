# Idempotent writes (kernel::idempotency, the Idempotency-Key header).
problem-idempotency_key_required-title = Idempotency key required
problem-idempotency_key_required-detail = This operation needs an Idempotency-Key header: a unique value (a UUID) that you send again, unchanged, when you retry the same request.
problem-idempotency_key_invalid-title = Invalid idempotency key
problem-idempotency_key_invalid-detail = The Idempotency-Key header must have between 1 and 255 printable ASCII characters.
problem-idempotency_key_reused-title = Idempotency key already used
problem-idempotency_key_reused-detail = This Idempotency-Key was already used for a different request. Use a new key for a new operation.
problem-idempotency_key_in_progress-title = Request in progress
problem-idempotency_key_in_progress-detail = A request with this Idempotency-Key is still being processed. Retry in a few seconds to get its result.
