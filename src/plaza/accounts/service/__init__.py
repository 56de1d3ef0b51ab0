"""Use cases of the accounts domain, split by subject."""
