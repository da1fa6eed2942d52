# Tenant registry and platform-staff tenant admin API.
problem-slug_taken-title = Slug en uso
problem-slug_taken-detail = Ya existe un marketplace con ese slug. Elige otro.
problem-domain_taken-title = Dominio en uso
problem-domain_taken-detail = Ese dominio ya está registrado para un marketplace.

field-slug_format = El campo «{ $field }» debe tener de 1 a 63 letras minúsculas, dígitos o guiones, sin guion al inicio ni al final.
field-slug_reserved = El valor del campo «{ $field }» está reservado por la plataforma.
field-currency_format = El campo «{ $field }» debe ser un código de moneda ISO 4217 de tres letras mayúsculas (por ejemplo, PEN).
field-domain_format = El campo «{ $field }» debe ser un nombre de dominio completo (por ejemplo, tienda.ejemplo.pe) de hasta 253 caracteres.
field-domain_reserved = El campo «{ $field }» no puede ser el dominio de la plataforma ni un subdominio suyo.
