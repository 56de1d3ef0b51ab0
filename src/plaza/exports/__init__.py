"""Data export: a zip of everything a person wrote, for them (also when suspended or closed)
and for operators (`plaza export USERNAME`)."""
