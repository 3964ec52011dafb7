"""I/O: provider HTTP clients, the JetStream work queue, result publisher, retry-state KV."""
