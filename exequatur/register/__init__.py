"""The register: the system of record of every accepted act (outlives workflow retention)."""
