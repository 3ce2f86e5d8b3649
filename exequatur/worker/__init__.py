"""The worker process: every workflow and activity (worker.py), the sandboxed runner (runner.py)
and, beside them, the relay that delivers the register's queued notices (relay.py)."""
