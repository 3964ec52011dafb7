"""The judge prompt: plain values the adapters assemble into their own wire formats."""

from __future__ import annotations

from dataclasses import dataclass, field

from llm_provider.domain.usage import estimate_tokens
from llm_provider.domain.verdict import ESSAY_A, ESSAY_B, MAX_CONFIDENCE, MIN_CONFIDENCE

EXAMPLE = '{"winner": "Essay B", "justification": "Its argument is clearer.", "confidence": 4}'
INSTRUCTION = (
    "Compare the two essays above and decide which one is better. Answer with one JSON object "
    'and nothing else, with exactly these keys: "winner" (the string '
    f'"{ESSAY_A}" or "{ESSAY_B}"), "justification" (one to three sentences) and "confidence" '
    f"(an integer from {MIN_CONFIDENCE}, a guess, to {MAX_CONFIDENCE}, certain). "
    f"Example: {EXAMPLE}"
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
    # Derived once at construction: payload hashing, budgets and the simulated judge all
    # read them (functools.cached_property would take a lock on every first access).
    _user_text: str = field(init=False, repr=False, compare=False)
    _estimated_tokens: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        text = "\n\n".join(self.user_texts())
        object.__setattr__(self, "_user_text", text)
        object.__setattr__(self, "_estimated_tokens",
                           estimate_tokens(self.system) + estimate_tokens(text))

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
