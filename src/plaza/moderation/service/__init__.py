"""Moderation's use cases, one module per concern (reports, cases, decisions, enforcement,
audit, lists); see design.md §6."""
