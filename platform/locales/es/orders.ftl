# Servicio de pedidos: carritos, compra, flujo del pedido, seguimiento.

problem-cart_empty-title = Nada que pedir
problem-cart_empty-detail = El carrito está vacío y la solicitud no indica líneas. Agrega productos primero.
problem-cart_full-title = Carrito lleno
problem-cart_full-detail = Un carrito admite como máximo 100 productos distintos. Quita uno antes de agregar otro.
problem-out_of_stock-title = Stock insuficiente
problem-out_of_stock-detail = Algunas líneas no se pueden comprar en la cantidad pedida; revisa «errors». No se pidió ni reservó nada.
problem-price_changed-title = Los precios cambiaron
problem-price_changed-detail = El pedido ya no cuesta el total que se te mostró. Revisa el carrito e inténtalo de nuevo.
problem-amount_too_large-title = Monto demasiado grande
problem-amount_too_large-detail = Los montos del pedido son demasiado grandes para procesarlo.
problem-order_transition_invalid-title = No es posible en el estado del pedido
problem-order_transition_invalid-detail = El pedido (o la parte de este vendedor) no puede pasar a ese estado ahora, o no por ti.
problem-order_expired-title = Venció el plazo de pago
problem-order_expired-detail = Este pedido esperó demasiado el pago; queda cancelado y su stock liberado.
problem-tracking_not_allowed-title = Aún no se puede enviar
problem-tracking_not_allowed-detail = Solo se agregan envíos a pedidos pagados, nunca a pedidos cancelados.
problem-tracking_exists-title = Envío ya agregado
problem-tracking_exists-detail = Esta empresa de transporte y este número de seguimiento ya están en el pedido.

field-unknown_variant = El campo «{ $field }» indica una variante de producto que no se puede comprar aquí.
field-out_of_stock = Solo se pueden comprar { $available } de { $sku } ahora; se pidieron { $requested }.
field-exclusive = Indica «{ $field }» o «{ $other }», no ambos.
field-too_many = El campo «{ $field }» admite como máximo { $max } elementos.
