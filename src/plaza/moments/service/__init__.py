"""Moments use cases, split by concern."""
