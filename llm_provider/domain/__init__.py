"""Pure logic of the LLM provider: manifest, cost, verdict parsing, rate limits, breakers."""
