"""report.record: the typed run.json. A record with only its required fields round-trips through JSON; a key
it does not know (a renamed or stray one), at the top or inside a typed section, is refused."""

import json

import pytest
from pydantic import ValidationError

from rag_vs_ft.report.record import ArmFacts, JudgeFacts, RunRecord
from run_records import minimal_record


def test_a_minimal_record_round_trips_through_json():
    data = minimal_record()
    record = RunRecord.model_validate(data)
    dumped = record.model_dump(mode="json")
    assert RunRecord.model_validate_json(json.dumps(dumped)) == record
    # the required fields come back as written; the optional ones with their defaults
    assert {k: dumped[k] for k in data if k not in ("arms", "corpus", "freshness")} == {
        k: v for k, v in data.items() if k not in ("arms", "corpus", "freshness")}
    assert dumped["seeds"] == [] and dumped["adapters"] == [] and dumped["recipes"] == {}
    assert dumped["judge"] is None and dumped["forgetting"] is None and dumped["few_shot_ids"] == []
    assert dumped["corpus"]["description"] is None
    assert dumped["freshness"]["index_update_s"] == 0.0 and dumped["freshness"]["chunks_added"] == 0


def test_typed_sections_are_typed_and_defaults_fill_arm_flags():
    record = RunRecord.model_validate(minimal_record())
    assert isinstance(record.arms["rag"], ArmFacts)
    assert record.arms["rag"].uses_retrieval and record.arms["rag"].uses_model and not record.arms["rag"].tuned
    assert not record.arms["majority"].uses_model and record.arms["majority"].complexity == 0
    assert list(record.arms) == ["rag", "majority"]  # the registry order is kept
    assert record.corpus.questions == {"train": 7, "dev": 1, "test": 2}


def test_every_registered_arm_describes_itself_as_the_record_expects():
    """ArmSpec.describe() is what run.json stores under `arms`: its keys must be ArmFacts' keys."""
    from rag_vs_ft.arms.registry import registered

    specs = registered()
    assert specs
    for name, spec in specs.items():
        assert ArmFacts.model_validate(spec.describe()).model_dump() == spec.describe(), name


@pytest.mark.parametrize("key", ["extra", "timings"])
def test_an_unknown_top_level_key_is_refused(key):
    data = {**minimal_record(), key: {"x": 1}}
    with pytest.raises(ValidationError) as exc:
        RunRecord.model_validate(data)
    assert [(e["loc"], e["type"]) for e in exc.value.errors()] == [((key,), "extra_forbidden")]


def test_a_renamed_field_is_refused_as_missing_and_unknown():
    data = minimal_record()
    data["timings"] = data.pop("timings_s")  # a field renamed by another version
    with pytest.raises(ValidationError) as exc:
        RunRecord.model_validate_json(json.dumps(data))
    assert sorted((e["loc"], e["type"]) for e in exc.value.errors()) == [(("timings",), "extra_forbidden"),
                                                                        (("timings_s",), "missing")]


@pytest.mark.parametrize("section, change, loc", [
    ("corpus", {"document_count": 3}, ("corpus", "document_count")),
    ("freshness", {"withheld": []}, ("freshness", "withheld")),
    ("arms", {"rag": {"role": "candidate", "summary": "s", "retrieval": True}}, ("arms", "rag", "retrieval")),
    ("arms", {"rag": {"role": "baseline", "summary": "s"}}, ("arms", "rag", "role")),
])
def test_typed_sections_refuse_what_they_do_not_know(section, change, loc):
    data = minimal_record()
    data[section] = {**data[section], **change}
    with pytest.raises(ValidationError) as exc:
        RunRecord.model_validate(data)
    assert [e["loc"] for e in exc.value.errors()] == [loc]


def test_plain_sections_take_any_mapping():
    data = minimal_record()
    data["machine"] = {"anything": {"nested": [1, 2]}}
    data["adapters"] = [{"recipe": "closed_book", "seed": 0, "whatever": True}]
    assert RunRecord.model_validate(data).adapters[0]["whatever"] is True


def test_judge_facts_are_typed_when_present():
    data = {**minimal_record(), "judge": {"model": "j", "base_url": None, "metrics": ["faithfulness"],
                                          "failures": 0, "samples": 2, "same_family": False}}
    assert isinstance(RunRecord.model_validate(data).judge, JudgeFacts)
    data["judge"] = {**data["judge"], "sample_count": 2}
    with pytest.raises(ValidationError):
        RunRecord.model_validate(data)
