# Product listing, search and autocomplete (platform/products/src/http/search.rs).
field-greater_than_other = The field "{ $field }" cannot be greater than "{ $other }".
field-attribute_filter = The field "{ $field }" must be comma-separated name:value pairs (for example color:red,size:m): at most { $max } pairs, each name and value at most { $length } characters.
