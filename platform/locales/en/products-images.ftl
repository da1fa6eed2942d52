# Product images and vendor logos (platform/products/src/http/images.rs).
problem-upload_missing-title = Nothing uploaded yet
problem-upload_missing-detail = No file has arrived for this upload. Send the file to the upload URL first, then confirm.
problem-upload_mismatch-title = The uploaded file does not match
problem-upload_mismatch-detail = The file is of another type or larger than declared, so it was deleted. Start a new upload with the right type and size.
problem-too_many_images-title = Too many images
problem-too_many_images-detail = A product can have at most 30 images. Delete one before adding another.
problem-image_not_ready-title = The image is not uploaded yet
problem-image_not_ready-detail = Confirm the upload before moving the image in the gallery.
problem-image_order_mismatch-title = The order does not match the gallery
problem-image_order_mismatch-detail = List every ready image of the product exactly once.
