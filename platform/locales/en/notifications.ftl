# Messages of the notification service. Per template: -subject (subject or title), -body (text),
# -short (SMS and push) and -html (email). Arguments: $marketplace, $name, $number, $total,
# $amount, $date, $url, $status, $reason, $carrier, $tracking_number, $tracking_url, $title,
# $message.

notify-verify_email-subject = Confirm your email for { $marketplace }
notify-verify_email-body = Welcome to { $marketplace }. Open this link to confirm your email: { $url }
notify-verify_email-html = <p>Welcome to <strong>{ $marketplace }</strong>.</p><p><a href="{ $url }">Confirm your email</a></p>

notify-reset_password-subject = Reset your { $marketplace } password
notify-reset_password-body = Someone asked to reset your password. If it was you, open this link: { $url } — if not, ignore this message.
notify-reset_password-html = <p>Someone asked to reset your { $marketplace } password.</p><p><a href="{ $url }">Choose a new password</a></p><p>If it was not you, ignore this message.</p>

notify-order_placed-subject = We received your order { $number }
notify-order_placed-body = Hi { $name }, we received your order { $number } of { $date } for { $total }. We will let you know when the payment is confirmed.
notify-order_placed-short = { $marketplace }: order { $number } received, total { $total }.
notify-order_placed-html = <p>Hi { $name },</p><p>We received your order <strong>{ $number }</strong> of { $date } for <strong>{ $total }</strong>.</p><p>We will let you know when the payment is confirmed.</p>

notify-vendor_order_placed-subject = New order { $number }
notify-vendor_order_placed-body = You have a new order { $number } on { $marketplace }. Prepare it once the payment is confirmed.
notify-vendor_order_placed-short = { $marketplace }: new order { $number }.

notify-order_paid-subject = Payment confirmed: order { $number }
notify-order_paid-body = We confirmed the payment of your order { $number } for { $total }. The vendors are preparing it.
notify-order_paid-short = { $marketplace }: payment of order { $number } confirmed.

notify-vendor_order_paid-subject = Order { $number } is paid: prepare it
notify-vendor_order_paid-body = Order { $number } is paid. Prepare it and mark it shipped.
notify-vendor_order_paid-short = { $marketplace }: order { $number } paid, prepare it.

notify-order_shipped-subject = Your order { $number } is on its way
notify-order_shipped-body = Your order { $number } has shipped.
notify-order_shipped-short = { $marketplace }: your order { $number } is on its way.

notify-order_delivered-subject = Your order { $number } was delivered
notify-order_delivered-body = Your order { $number } was delivered. Thank you for shopping at { $marketplace }!
notify-order_delivered-short = { $marketplace }: order { $number } delivered.

notify-order_cancelled-subject = Order { $number } cancelled
notify-order_cancelled-body = Your order { $number } was cancelled. If you already paid, we will refund { $total }.
notify-order_cancelled-short = { $marketplace }: order { $number } cancelled.

notify-vendor_order_cancelled-subject = Order { $number } cancelled
notify-vendor_order_cancelled-body = Order { $number } was cancelled. Do not ship it.
notify-vendor_order_cancelled-short = { $marketplace }: order { $number } cancelled, do not ship it.

notify-order_tracking_added-subject = Tracking for your order { $number }
notify-order_tracking_added-body = Your order { $number } travels with { $carrier }, tracking number { $tracking_number }.
notify-order_tracking_added-short = { $marketplace }: order { $number } with { $carrier } ({ $tracking_number }).

notify-payment_refunded-subject = Refund for order { $number }
notify-payment_refunded-body = We refunded { $amount } of order { $number }.
notify-payment_refunded-short = { $marketplace }: refund of { $amount } for order { $number }.

notify-admin_payment_refunded-subject = Refund recorded: order { $number }
notify-admin_payment_refunded-body = { $amount } of order { $number } was refunded.

notify-announcement-subject = { $title }
notify-announcement-body = { $message }

notify-footer-unsubscribe = Don't want these emails? Unsubscribe: { $url }
notify-footer-unsubscribe-html = <p style="font-size:12px;color:#666">Don't want these emails? <a href="{ $url }">Unsubscribe</a>.</p>

notify-test-subject = Test message
notify-test-body = This is a test message from { $marketplace }. If you can read it, the channel works.

problem-notification_not_scheduled-title = Not scheduled
problem-notification_not_scheduled-detail = Only a message that is still waiting for its time can be cancelled.
problem-notification_not_dead-title = Not dead
problem-notification_not_dead-detail = Only a message that failed for good can be retried.
problem-unsubscribe_invalid-title = Invalid unsubscribe link
problem-unsubscribe_invalid-detail = This link is not valid for this marketplace. Change your preferences from your account instead.
problem-channel_test_failed-title = The test message was refused
problem-channel_test_failed-detail = The provider did not accept the test message; see "errors" for its reason.

field-unknown_provider = The field "{ $field }" does not name a provider of this channel.
field-provider_settings = The provider settings are not valid: { $reason }
field-provider_refused = The provider refused it: { $reason }
field-template_invalid = The field "{ $field }" is not a valid template: { $reason }
field-topic_unknown = The field "{ $field }" is not an event webhooks can subscribe to.
