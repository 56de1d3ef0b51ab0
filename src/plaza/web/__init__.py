"""The web shell: base layout, static files, CSRF, and the pages shared by all domains."""
