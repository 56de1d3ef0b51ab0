"""Media: uploaded pictures, checked and stripped of metadata, content-addressed, and served
only to those who may see them."""
