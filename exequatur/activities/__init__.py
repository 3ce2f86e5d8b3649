"""Every side effect of the service, small and idempotent (an activity may run twice)."""
