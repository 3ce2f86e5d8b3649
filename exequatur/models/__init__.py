"""The law as data: pydantic records and one declaration per lifecycle (VCCR 1963).

Nothing here does I/O; workflows import it inside the sandbox, the API and tests read it.
"""
