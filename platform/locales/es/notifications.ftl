# Mensajes del servicio de notificaciones. Por plantilla: -subject (asunto o título), -body
# (texto), -short (SMS y push) y -html (correo). Argumentos: $marketplace, $name, $number,
# $total, $amount, $date, $url, $status, $reason, $carrier, $tracking_number, $tracking_url,
# $title, $message.

notify-verify_email-subject = Confirma tu correo en { $marketplace }
notify-verify_email-body = Bienvenido a { $marketplace }. Abre este enlace para confirmar tu correo: { $url }
notify-verify_email-html = <p>Bienvenido a <strong>{ $marketplace }</strong>.</p><p><a href="{ $url }">Confirma tu correo</a></p>

notify-reset_password-subject = Restablece tu contraseña de { $marketplace }
notify-reset_password-body = Alguien pidió restablecer tu contraseña. Si fuiste tú, abre este enlace: { $url }. Si no, ignora este mensaje.
notify-reset_password-html = <p>Alguien pidió restablecer tu contraseña de { $marketplace }.</p><p><a href="{ $url }">Elige una nueva contraseña</a></p><p>Si no fuiste tú, ignora este mensaje.</p>

notify-order_placed-subject = Recibimos tu pedido { $number }
notify-order_placed-body = Hola { $name }, recibimos tu pedido { $number } del { $date } por { $total }. Te avisaremos cuando se confirme el pago.
notify-order_placed-short = { $marketplace }: pedido { $number } recibido, total { $total }.
notify-order_placed-html = <p>Hola { $name },</p><p>Recibimos tu pedido <strong>{ $number }</strong> del { $date } por <strong>{ $total }</strong>.</p><p>Te avisaremos cuando se confirme el pago.</p>

notify-vendor_order_placed-subject = Nuevo pedido { $number }
notify-vendor_order_placed-body = Tienes un nuevo pedido { $number } en { $marketplace }. Prepáralo cuando se confirme el pago.
notify-vendor_order_placed-short = { $marketplace }: nuevo pedido { $number }.

notify-order_paid-subject = Pago confirmado: pedido { $number }
notify-order_paid-body = Confirmamos el pago de tu pedido { $number } por { $total }. Los vendedores ya lo están preparando.
notify-order_paid-short = { $marketplace }: pago del pedido { $number } confirmado.

notify-vendor_order_paid-subject = Pedido { $number } pagado: prepáralo
notify-vendor_order_paid-body = El pedido { $number } está pagado. Prepáralo y regístralo como enviado.
notify-vendor_order_paid-short = { $marketplace }: pedido { $number } pagado, prepáralo.

notify-order_shipped-subject = Tu pedido { $number } está en camino
notify-order_shipped-body = Tu pedido { $number } fue enviado.
notify-order_shipped-short = { $marketplace }: tu pedido { $number } está en camino.

notify-order_delivered-subject = Tu pedido { $number } fue entregado
notify-order_delivered-body = Tu pedido { $number } fue entregado. ¡Gracias por comprar en { $marketplace }!
notify-order_delivered-short = { $marketplace }: pedido { $number } entregado.

notify-order_cancelled-subject = Pedido { $number } cancelado
notify-order_cancelled-body = Tu pedido { $number } fue cancelado. Si ya pagaste, te devolveremos { $total }.
notify-order_cancelled-short = { $marketplace }: pedido { $number } cancelado.

notify-vendor_order_cancelled-subject = Pedido { $number } cancelado
notify-vendor_order_cancelled-body = El pedido { $number } fue cancelado. No lo envíes.
notify-vendor_order_cancelled-short = { $marketplace }: pedido { $number } cancelado, no lo envíes.

notify-order_tracking_added-subject = Seguimiento de tu pedido { $number }
notify-order_tracking_added-body = Tu pedido { $number } va con { $carrier }, número de seguimiento { $tracking_number }.
notify-order_tracking_added-short = { $marketplace }: pedido { $number } con { $carrier } ({ $tracking_number }).

notify-payment_refunded-subject = Reembolso del pedido { $number }
notify-payment_refunded-body = Te devolvimos { $amount } del pedido { $number }.
notify-payment_refunded-short = { $marketplace }: reembolso de { $amount } del pedido { $number }.

notify-admin_payment_refunded-subject = Reembolso registrado: pedido { $number }
notify-admin_payment_refunded-body = Se reembolsó { $amount } del pedido { $number }.

notify-announcement-subject = { $title }
notify-announcement-body = { $message }

notify-footer-unsubscribe = ¿No quieres recibir estos correos? Date de baja: { $url }
notify-footer-unsubscribe-html = <p style="font-size:12px;color:#666">¿No quieres recibir estos correos? <a href="{ $url }">Date de baja</a>.</p>

notify-test-subject = Mensaje de prueba
notify-test-body = Este es un mensaje de prueba de { $marketplace }. Si puedes leerlo, el canal funciona.

problem-notification_not_scheduled-title = No está programado
problem-notification_not_scheduled-detail = Solo se puede cancelar un mensaje que todavía espera su hora.
problem-notification_not_dead-title = No está fallido
problem-notification_not_dead-detail = Solo se puede reintentar un mensaje que falló definitivamente.
problem-unsubscribe_invalid-title = Enlace de baja no válido
problem-unsubscribe_invalid-detail = Este enlace no es válido para este marketplace. Cambia tus preferencias desde tu cuenta.
problem-channel_test_failed-title = El mensaje de prueba fue rechazado
problem-channel_test_failed-detail = El proveedor no aceptó el mensaje de prueba; mira "errors" para ver el motivo.

field-unknown_provider = El campo "{ $field }" no nombra un proveedor de este canal.
field-provider_settings = La configuración del proveedor no es válida: { $reason }
field-provider_refused = El proveedor lo rechazó: { $reason }
field-template_invalid = El campo "{ $field }" no es una plantilla válida: { $reason }
field-topic_unknown = El campo "{ $field }" no es un evento al que se puedan suscribir webhooks.
