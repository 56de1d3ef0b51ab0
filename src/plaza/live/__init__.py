"""Live events: the WebSocket stream every surface uses to reach connected people."""
