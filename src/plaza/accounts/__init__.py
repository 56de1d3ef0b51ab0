"""Accounts: people, their sessions, friends and blocks."""
