"""Provider adapters speaking each vendor's real wire format (plus the simulated judge)."""
