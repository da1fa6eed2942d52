# Tenant registry and platform-staff tenant admin API.
problem-slug_taken-title = Slug taken
problem-slug_taken-detail = A marketplace with this slug already exists. Choose another one.
problem-domain_taken-title = Domain taken
problem-domain_taken-detail = This domain is already registered to a marketplace.

field-slug_format = The field "{ $field }" must be 1 to 63 lowercase letters, digits or hyphens, not starting or ending with a hyphen.
field-slug_reserved = The value of the field "{ $field }" is reserved by the platform.
field-currency_format = The field "{ $field }" must be a three-letter uppercase ISO 4217 currency code (for example, PEN).
field-domain_format = The field "{ $field }" must be a fully qualified domain name (for example, shop.example.com) of at most 253 characters.
field-domain_reserved = The field "{ $field }" cannot be the platform domain or a subdomain of it.
