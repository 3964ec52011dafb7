"""Where the mesh is: addresses from flags, else the environment, else the local defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULTS = {
    "CONTENT_ADDR": "127.0.0.1:50051",
    "LLM_PROVIDER_ADDR": "127.0.0.1:50052",
    "CJ_ADDR": "127.0.0.1:50053",
}
CALL_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Addresses:
    content: str
    llm_provider: str
    cj: str

    @classmethod
    def resolve(
        cls, *, content: str | None = None, llm_provider: str | None = None,
        cj: str | None = None, env: Mapping[str, str] | None = None,
    ) -> Addresses:
        env = os.environ if env is None else env

        def pick(flag: str | None, key: str) -> str:
            return flag or env.get(key) or DEFAULTS[key]

        return cls(
            content=pick(content, "CONTENT_ADDR"),
            llm_provider=pick(llm_provider, "LLM_PROVIDER_ADDR"),
            cj=pick(cj, "CJ_ADDR"),
        )

    def items(self) -> list[tuple[str, str]]:
        return [("content", self.content), ("llm_provider", self.llm_provider), ("cj", self.cj)]
