"""arms.prompt: the closed-book question with few-shot examples from the train split, and no retrieval."""

from fakes import EchoGenerator

from rag_vs_ft.arms.prompt import PromptArm
from rag_vs_ft.arms.registry import ArmInputs, registered
from rag_vs_ft.corpus.schema import QAItem
from rag_vs_ft.models.prompts import CLOSED_BOOK_SYSTEM


def _q(i, text, answer="x"):
    return QAItem(f"q{i}", text, answer, ("d",), True, "k")


def test_the_examples_come_before_the_question_as_turns():
    gen = EchoGenerator()
    examples = [_q(1, "What is 2+2?", "4"), _q(2, "Capital of France?", "Paris")]
    arm = PromptArm(gen, examples)
    [a] = arm.answer([_q(3, "Who notifies a breach?")])
    assert gen.conversations[0] == [
        {"role": "system", "content": CLOSED_BOOK_SYSTEM},
        {"role": "user", "content": "What is 2+2?"}, {"role": "assistant", "content": "4"},
        {"role": "user", "content": "Capital of France?"}, {"role": "assistant", "content": "Paris"},
        {"role": "user", "content": "Who notifies a breach?"}]
    assert (a.question_id, a.answer) == ("q3", "echo: Who notifies a breach?")
    assert a.retrieved_ids == [] and a.contexts == [] and a.retrieval_s == 0.0 and a.latency_s == 0.5


def test_the_registered_spec_builds_it_from_the_few_shot_examples():
    spec = registered()["prompt"]
    assert (spec.role, spec.uses_few_shot, spec.uses_retrieval, spec.tuned) == ("candidate", True, False, False)
    gen = EchoGenerator()
    arm = spec.make(ArmInputs(gen, retriever=None, top_k=3, few_shot=[_q(1, "Example?", "Yes")]))
    assert isinstance(arm, PromptArm) and arm.name == "prompt" and not arm.uses_retrieval
    arm.answer([_q(2, "Asked?")])
    assert [t["content"] for t in gen.conversations[0][1:]] == ["Example?", "Yes", "Asked?"]
