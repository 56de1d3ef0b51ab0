"""Moments: posts shared with friends under WeChat's visibility rules (issue 9)."""
