"""finetune.recipes.registry: the shipped recipes are registered with their flags; an unknown name is an error
listing the known ones; a name cannot be taken twice (toy recipes are removed after each test: the registry is
module-global)."""

import pytest

from rag_vs_ft.finetune.recipes import registry
from rag_vs_ft.finetune.recipes.registry import Recipe, recipe, register, registered


@pytest.fixture
def toy_recipes():
    added = []

    def add(r: Recipe) -> Recipe:
        register(r)
        added.append(r.name)
        return r

    yield add
    for name in added:
        registry._RECIPES._items.pop(name, None)


def _build(tok, inp, cfg, budget, seed):
    raise AssertionError("not built in these tests")


def test_closed_book_and_raft_are_registered_with_their_flags():
    known = registered()
    assert {"closed_book", "raft"} <= set(known)
    assert known["closed_book"].needs_retriever is False  # questions and documents only
    assert known["raft"].needs_retriever is True  # its distractors come from the run's retriever
    assert all(r.summary and "\n" not in r.summary for r in known.values())  # one line for the report
    assert all(name == r.name for name, r in known.items())
    assert list(known) == sorted(known)


def test_recipe_returns_the_registered_one():
    assert recipe("raft") is registered()["raft"]
    assert recipe("closed_book").build.__module__ == "rag_vs_ft.finetune.recipes.closed_book"


def test_an_unknown_recipe_is_an_error_listing_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown fine-tuning recipe 'rafts'; known: .*closed_book, .*raft") as exc:
        recipe("rafts")
    assert "\n" not in str(exc.value)


def test_a_registered_toy_recipe_is_found_by_name(toy_recipes):
    toy = toy_recipes(Recipe("toy_drill", "a toy", _build))
    assert recipe("toy_drill") is toy and toy.needs_retriever is False
    assert register(Recipe("toy_drill", "a toy", _build)) == toy  # the same recipe again (a re-import) is fine


def test_another_recipe_under_a_taken_name_is_refused(toy_recipes):
    with pytest.raises(ValueError, match="two fine-tuning recipes are registered as 'raft'"):
        register(Recipe("raft", "my own raft", _build))
    assert recipe("raft").needs_retriever is True  # the shipped one stands


def test_toy_recipes_do_not_outlive_their_test():
    assert "toy_drill" not in registered()
