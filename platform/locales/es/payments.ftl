# Servicio de pagos: problemas y errores de campo.

problem-order_not_payable-title = El pedido no se puede pagar
problem-order_not_payable-detail = Solo se puede pagar un pedido que espera su pago.
problem-payment_in_progress-title = Ya hay un pago en curso
problem-payment_in_progress-detail = Este pedido ya tiene un pago en curso o completado. Confírmalo o cancélalo antes de pagar de otra forma.
problem-payment_declined-title = El pago fue rechazado
problem-payment_declined-detail = El proveedor de pagos rechazó el pago; mira «errors» para conocer el motivo.
problem-payment_rejected-title = El proveedor de pagos rechazó la solicitud
problem-payment_rejected-detail = El proveedor de pagos no aceptó la solicitud; mira «errors» para conocer el motivo.
problem-payment_gateway_misconfigured-title = La pasarela de pagos no está bien configurada
problem-payment_gateway_misconfigured-detail = La pasarela de pagos del marketplace rechazó sus credenciales. Inténtalo más tarde o contacta al marketplace.
problem-payment_not_captured-title = El pago no ha sido capturado
problem-payment_not_captured-detail = Solo se puede reembolsar un pago capturado.
problem-payment_not_cancellable-title = El pago no se puede cancelar
problem-payment_not_cancellable-detail = Solo se puede cancelar un pago que aún no está autorizado ni liquidado.
problem-refund_exceeds_captured-title = El reembolso supera lo que queda
problem-refund_exceeds_captured-detail = Un reembolso no puede superar lo capturado menos lo ya reembolsado (para la parte de un vendedor: su total menos sus reembolsos).
problem-gateway_unavailable-title = La pasarela de pagos no está disponible
problem-gateway_unavailable-detail = El marketplace ya no ofrece la pasarela de este pago.
problem-vendor_refunds_disabled-title = Los vendedores no pueden reembolsar aquí
problem-vendor_refunds_disabled-detail = Este marketplace no permite reembolsos de vendedores; pídeselo a sus administradores.
problem-webhook_invalid-title = Webhook rechazado
problem-webhook_invalid-detail = La firma del webhook falta, es incorrecta o es demasiado antigua, o su cuerpo no es un evento.
problem-gateway_test_failed-title = La pasarela rechazó las credenciales
problem-gateway_test_failed-detail = El proveedor de pagos no aceptó las credenciales guardadas; mira «errors» para conocer el motivo.

field-conflicts_with_method = Envía «method» o «{ $field }», no ambos.
field-card_number_not_allowed = El campo «{ $field }» parece un número de tarjeta. Envía el token del proveedor: los números de tarjeta nunca llegan a esta plataforma.
field-invalid_token = El campo «{ $field }» no es un token de proveedor (de 3 a 255 letras, dígitos y _-.:).
field-gateway_unavailable = El campo «{ $field }» no nombra una pasarela de pagos que ofrezca este marketplace.
field-other_provider = El método guardado en «{ $field }» pertenece a otra pasarela.
field-invalid_url = El campo «{ $field }» debe ser una URL http(s) de hasta 2048 caracteres.
field-must_be_positive = El campo «{ $field }» debe ser mayor que cero.
field-unknown_credential = «{ $field }» no es una credencial de este proveedor (conocidas: { $known }).
field-disabled_default = Una pasarela desactivada no puede ser la predeterminada.
field-declined = Rechazado por el proveedor: { $reason }
