# Listado, búsqueda y autocompletado de productos (platform/products/src/http/search.rs).
field-greater_than_other = El campo "{ $field }" no puede ser mayor que "{ $other }".
field-attribute_filter = El campo "{ $field }" debe ser una lista de pares nombre:valor separados por comas (por ejemplo color:rojo,talla:m): como máximo { $max } pares, y cada nombre y valor de { $length } caracteres como máximo.
