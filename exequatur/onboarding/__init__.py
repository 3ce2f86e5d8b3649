"""Onboarding an existing consular corps from a CSV file (docs/import.md)."""

from exequatur.onboarding.example import example_corps
from exequatur.onboarding.importer import ImportReport, RowResult, import_corps
from exequatur.onboarding.rows import COLUMNS, write_csv

__all__ = ["COLUMNS", "ImportReport", "RowResult", "example_corps", "import_corps", "write_csv"]
