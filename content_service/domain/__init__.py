"""Pure content rules: validation, ids, batch assembly (no I/O, clock or globals)."""
