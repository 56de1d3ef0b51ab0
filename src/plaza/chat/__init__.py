"""Chat: direct and group conversations, messages, and their live delivery."""
