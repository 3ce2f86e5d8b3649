"""`python -m exequatur.cli`: the `exequatur` command."""

from exequatur.cli.commands import app

app()
