"""Public accounts use cases, split by concern."""
