"""Turning results into tables, CSV, charts and Markdown."""
