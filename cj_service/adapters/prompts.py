"""The judge's prompt: a fixed system prompt, the batch's context blocks, two essay texts.

Context (instructions, student prompt, rubric) goes into cacheable blocks shared by every
call of a batch; the essays are shown only as "Essay A" and "Essay B" -- never their ids,
file names or anchor grades, which would leak who wrote what or what grade to give.
"""

from __future__ import annotations

from contracts.huleedu.llm.v1 import llm_pb2

SYSTEM_PROMPT = (
    "You are an experienced examiner doing comparative judgement. You will read two student "
    "essays, Essay A and Essay B, written for the same task. Decide which essay is the better "
    "response overall, judging quality of content, argument, organisation and language as the "
    "assessment instructions and rubric describe. Ignore essay length and the order in which "
    "the essays are shown. Answer with one JSON object only, with exactly the keys "
    '"winner" ("Essay A" or "Essay B"), "justification" (a short reason) and "confidence" '
    "(an integer from 1, a guess, to 5, certain), for example: "
    '{"winner": "Essay A", "justification": "It argues more clearly.", "confidence": 3}'
)

_BLOCKS = (
    ("assessment_instructions", "Assessment instructions"),
    ("student_prompt", "The task the students were given"),
    ("judge_rubric", "Judging rubric"),
)


def context_blocks(
    *, instructions: str, student_prompt: str, rubric: str
) -> list[llm_pb2.ContextBlock]:
    """Non-empty context as labelled, cacheable blocks, in a fixed order."""
    texts = (instructions, student_prompt, rubric)
    return [
        llm_pb2.ContextBlock(label=label, text=f"{title}:\n{body.strip()}", cacheable=True)
        for (label, title), body in zip(_BLOCKS, texts, strict=True)
        if body.strip()
    ]


def render(blocks: list[llm_pb2.ContextBlock], essay_a: str, essay_b: str) -> llm_pb2.PromptParts:
    return llm_pb2.PromptParts(
        system_prompt=SYSTEM_PROMPT,
        context_blocks=blocks,
        essay_a_text=essay_a,
        essay_b_text=essay_b,
    )
