"""The judge prompt: plain values the adapters assemble into their own wire formats."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from llm_provider.domain.usage import estimate_tokens
from llm_provider.domain.verdict import ESSAY_A, ESSAY_B

INSTRUCTION = (
    "Compare the two essays above and decide which one is better. Answer with the winner "
    f'("{ESSAY_A}" or "{ESSAY_B}"), a short justification, and your confidence from '
    "1 (a guess) to 5 (certain)."
)


@dataclass(frozen=True)
class Block:
    text: str
    cacheable: bool = False


@dataclass(frozen=True)
class Prompt:
    system: str
    blocks: tuple[Block, ...]
    essay_a: str
    essay_b: str

    def essays_text(self) -> str:
        return (
            f"{ESSAY_A}:\n<essay>\n{self.essay_a}\n</essay>\n\n"
            f"{ESSAY_B}:\n<essay>\n{self.essay_b}\n</essay>\n\n{INSTRUCTION}"
        )

    def user_texts(self) -> list[str]:
        """Context blocks in order, then the essays with the instruction."""
        return [b.text for b in self.blocks if b.text] + [self.essays_text()]

    def user_text(self) -> str:
        return self._user_text

    def estimated_tokens(self) -> int:
        return self._estimated_tokens

    # Computed once per prompt: payload hashing, budgets and the simulated judge all read them.
    @cached_property
    def _user_text(self) -> str:
        return "\n\n".join(self.user_texts())

    @cached_property
    def _estimated_tokens(self) -> int:
        return estimate_tokens(self.system) + estimate_tokens(self._user_text)
