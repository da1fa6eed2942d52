# Imágenes de productos y logos de tiendas (platform/products/src/http/images.rs).
problem-upload_missing-title = Aún no se subió nada
problem-upload_missing-detail = No ha llegado ningún archivo para esta subida. Envía primero el archivo a la URL de subida y luego confirma.
problem-upload_mismatch-title = El archivo subido no coincide
problem-upload_mismatch-detail = El archivo es de otro tipo o más grande de lo declarado, así que se eliminó. Inicia una nueva subida con el tipo y el tamaño correctos.
problem-too_many_images-title = Demasiadas imágenes
problem-too_many_images-detail = Un producto puede tener como máximo 30 imágenes. Elimina una antes de agregar otra.
problem-image_not_ready-title = La imagen aún no está subida
problem-image_not_ready-detail = Confirma la subida antes de mover la imagen en la galería.
problem-image_order_mismatch-title = El orden no coincide con la galería
problem-image_order_mismatch-detail = Incluye cada imagen lista del producto exactamente una vez.
