"""`huleedu`: the operator and research command line for the CJ mesh (typer + rich)."""
