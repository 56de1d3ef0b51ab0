"""Picture scans off the request path: recorded with the content, run in worker processes,
concluded in one transaction (see record, runner, pool, queue, verdict)."""
