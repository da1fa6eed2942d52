# Order service: carts, checkout, the order workflow, tracking.

problem-cart_empty-title = Nothing to order
problem-cart_empty-detail = The cart is empty and the request names no lines. Add products first.
problem-cart_full-title = Cart full
problem-cart_full-detail = A cart holds at most 100 different products. Remove one before adding another.
problem-out_of_stock-title = Not enough stock
problem-out_of_stock-detail = Some lines cannot be bought in the quantity asked for; see "errors". Nothing was ordered or reserved.
problem-price_changed-title = Prices changed
problem-price_changed-detail = The order no longer costs the total you were shown. Review the cart and try again.
problem-amount_too_large-title = Amount too large
problem-amount_too_large-detail = The order's amounts are too large to be processed.
problem-order_transition_invalid-title = Not possible in the order's status
problem-order_transition_invalid-detail = The order (or this vendor's part of it) cannot move to that status now, or not by you.
problem-order_expired-title = Payment deadline passed
problem-order_expired-detail = This order waited too long for payment; it is cancelled and its stock released.
problem-tracking_not_allowed-title = Cannot ship yet
problem-tracking_not_allowed-detail = Shipments can be added to paid orders only, never to cancelled ones.
problem-tracking_exists-title = Shipment already added
problem-tracking_exists-detail = This carrier and tracking number are already on this order.

field-unknown_variant = The field "{ $field }" names a product variant that cannot be bought here.
field-out_of_stock = Only { $available } of { $sku } can be bought now; { $requested } were asked for.
field-exclusive = Give either "{ $field }" or "{ $other }", not both.
field-too_many = The field "{ $field }" accepts at most { $max } entries.
