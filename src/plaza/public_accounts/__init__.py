"""Public accounts: publications that publish articles to subscribers."""
