"""Moderation's JSON routes, one module per concern."""
