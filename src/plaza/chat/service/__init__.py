"""Use cases of chat: conversations and members, messages, and the event log they write."""
