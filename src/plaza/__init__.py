"""Plaza: a self-hostable messaging and publishing platform."""

__version__ = "0.1.0"
