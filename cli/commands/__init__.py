"""Typer commands; each is thin: parse options, call flows, render."""
