"""The `exequatur` command: run the service or one part of it, and the operators' commands
(commands.py); the printouts of records and certificates (printouts.py)."""
