"""llm_provider: queues comparison requests on JetStream and judges them with LLM providers.

No database: the JetStream work-queue stream (requests), the results stream and a small
KV bucket of retry state are the service's only durable state.
"""
