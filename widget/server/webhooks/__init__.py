"""Signed webhook deliveries: the outbox, endpoints, fan-out, sending, retries and the admin API."""
