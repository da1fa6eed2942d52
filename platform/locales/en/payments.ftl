# Payment service: problems and field errors.

problem-order_not_payable-title = The order cannot be paid
problem-order_not_payable-detail = Only an order that is waiting for payment can be paid.
problem-payment_in_progress-title = A payment is already under way
problem-payment_in_progress-detail = This order already has a payment in progress or completed. Confirm or cancel it before paying another way.
problem-payment_declined-title = The payment was declined
problem-payment_declined-detail = The payment provider declined the payment; see "errors" for its reason.
problem-payment_rejected-title = The payment provider refused the request
problem-payment_rejected-detail = The payment provider did not accept the request; see "errors" for its reason.
problem-payment_gateway_misconfigured-title = The payment gateway is not configured correctly
problem-payment_gateway_misconfigured-detail = The marketplace's payment gateway refused its credentials. Please try again later or contact the marketplace.
problem-payment_not_captured-title = The payment has not been captured
problem-payment_not_captured-detail = Only a captured payment can be refunded.
problem-payment_not_cancellable-title = The payment cannot be cancelled
problem-payment_not_cancellable-detail = Only a payment that is not yet authorized or settled can be cancelled.
problem-refund_exceeds_captured-title = The refund is larger than what is left
problem-refund_exceeds_captured-detail = A refund cannot exceed what was captured minus what was already refunded (for a vendor's part: its total minus its refunds).
problem-gateway_unavailable-title = The payment gateway is not available
problem-gateway_unavailable-detail = The marketplace no longer offers the gateway of this payment.
problem-vendor_refunds_disabled-title = Vendors cannot refund here
problem-vendor_refunds_disabled-detail = This marketplace does not let vendors refund; ask its administrators.
problem-webhook_invalid-title = Webhook refused
problem-webhook_invalid-detail = The webhook's signature is missing, wrong or too old, or its body is not an event.
problem-gateway_test_failed-title = The gateway refused the credentials
problem-gateway_test_failed-detail = The payment provider did not accept the stored credentials; see "errors" for its reason.

field-conflicts_with_method = Give either "method" or "{ $field }", not both.
field-card_number_not_allowed = The field "{ $field }" looks like a card number. Send the provider's token instead: card numbers never reach this platform.
field-invalid_token = The field "{ $field }" is not a provider token (3 to 255 letters, digits and _-.:).
field-gateway_unavailable = The field "{ $field }" does not name a payment gateway this marketplace offers.
field-other_provider = The saved method in "{ $field }" belongs to another gateway.
field-invalid_url = The field "{ $field }" must be an http(s) URL of at most 2048 characters.
field-must_be_positive = The field "{ $field }" must be greater than zero.
field-unknown_credential = "{ $field }" is not a credential of this provider (known: { $known }).
field-disabled_default = A disabled gateway cannot be the default.
field-declined = Declined by the provider: { $reason }
