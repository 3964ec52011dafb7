"""Config is read once from a mapping; providers count as configured only with their keys."""

from __future__ import annotations

from llm_provider.config import Config


def test_defaults_follow_the_mesh_conventions():
    config = Config.from_env({})
    assert (config.grpc_port, config.metrics_port) == (50052, 9102)
    assert config.nats_url == "nats://127.0.0.1:4222" and config.nats_namespace == ""
    assert config.provider("simulated").configured
    assert not config.provider("openai").configured  # no key


def test_keys_urls_budgets_and_worker_settings_come_from_the_environment():
    config = Config.from_env({
        "OPENAI_API_KEY": "sk", "GOOGLE_API_KEY": "g", "ANTHROPIC_BASE_URL": "http://x/",
        "LLM_PROVIDER_OPENAI_RPM": "500", "LLM_PROVIDER_OPENAI_TPM": "200000",
        "LLM_PROVIDER_CONCURRENCY": "8", "LLM_PROVIDER_ACK_WAIT_S": "12.5",
        "LLM_PROVIDER_SIMULATED_POSITION_BIAS": "0.3", "NATS_NAMESPACE": "t1",
        "LLM_PROVIDER_OPENAI_COMPATIBLE_ENABLED": "true",
    })
    openai = config.provider("openai")
    assert openai.configured and (openai.rpm, openai.tpm) == (500, 200_000)
    assert config.provider("google").configured
    assert config.provider("anthropic").base_url == "http://x"
    assert config.provider("openai_compatible").configured  # local servers need no key
    assert config.worker.concurrency == 8 and config.worker.ack_wait_s == 12.5
    assert config.simulated.position_bias == 0.3 and config.nats_namespace == "t1"


def test_a_provider_can_be_switched_off():
    config = Config.from_env({"LLM_PROVIDER_SIMULATED_ENABLED": "false"})
    assert not config.provider("simulated").configured
