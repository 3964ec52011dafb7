"""The judge's prompt carries the context blocks and the two texts, nothing identifying."""

import json

from cj_service.adapters import prompts


def test_context_blocks_are_cacheable_labelled_and_in_a_fixed_order():
    blocks = prompts.context_blocks(
        instructions="Judge well.", student_prompt="Write.", rubric="Reward evidence."
    )
    assert [b.label for b in blocks] == [
        "assessment_instructions",
        "student_prompt",
        "judge_rubric",
    ]
    assert all(b.cacheable for b in blocks)
    assert "Reward evidence." in blocks[2].text


def test_empty_context_is_left_out():
    blocks = prompts.context_blocks(instructions="  ", student_prompt="", rubric="R")
    assert [b.label for b in blocks] == ["judge_rubric"]


def test_render_puts_the_texts_as_essay_a_and_b_under_the_system_prompt():
    parts = prompts.render([], "first text", "second text")
    assert parts.system_prompt == prompts.SYSTEM_PROMPT
    assert (parts.essay_a_text, parts.essay_b_text) == ("first text", "second text")
    assert "Essay A" in parts.system_prompt and "Essay B" in parts.system_prompt


def test_the_system_prompt_names_json_the_keys_the_values_and_an_example():
    text = prompts.SYSTEM_PROMPT
    for word in ("JSON", '"winner"', '"justification"', '"confidence"', '"Essay A"',
                 '"Essay B"', "integer from 1", "to 5", "only"):
        assert word in text
    example = json.loads(text[text.index("{"):text.rindex("}") + 1])
    assert set(example) == {"winner", "justification", "confidence"}
    assert example["winner"] in ("Essay A", "Essay B") and 1 <= example["confidence"] <= 5
