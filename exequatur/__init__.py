"""Exequatur: the lifecycle of consular posts and their members under the Vienna Convention on
Consular Relations (1963), held by Temporal workflows.

Imports flow one way: models <- register <- activities <- workflows <- api and worker <- cli;
`core` (settings, logs, the payload codec) is below them all.
"""
