"""evaluation.cost: prices, LoRA parameter counts and the fine-tuning memory bill, against known values."""

import json

import pytest

from rag_vs_ft.evaluation.cost import (GIB, ModelShape, activation_bytes, lora_params_for, memory_estimate,
                                       reference_shape, shape_dict, shape_of, usd)


def test_usd_prices_seconds_at_an_hourly_rate():
    assert usd(3600, 2.5) == 2.5 and usd(1800, 1.0) == 0.5 and usd(0, 9.0) == 0.0


def test_lora_adds_r_times_in_plus_out_per_targeted_layer():
    # q: 4 * (8 + 8), v with a 4-wide key/value projection: 4 * (8 + 4); two layers; unknown names count nothing
    assert lora_params_for(8, 16, 2, 4, ["q_proj", "v_proj", "lm_head"], kv_hidden=4) == 2 * (64 + 48)
    assert lora_params_for(8, 16, 1, 2, ["gate_proj", "down_proj"]) == 2 * (8 + 16) * 2
    assert lora_params_for(8, 16, 3, 4, []) == 0


def test_the_7b_reference_has_llama_2_7b_s_parameter_counts():
    shape = reference_shape(8, ["q_proj", "v_proj"])
    assert shape.params == 6_738_415_616  # Llama-2-7B's published count
    assert shape.lora_params == 4_194_304  # what peft reports for r=8 on q_proj and v_proj
    assert (shape.hidden, shape.layers, shape.heads) == (4096, 32, 32)


def test_shape_of_reads_a_model_without_its_weights(tmp_path):
    from transformers import LlamaConfig

    h, i, n, v = 16, 40, 2, 64
    LlamaConfig(vocab_size=v, hidden_size=h, intermediate_size=i, num_hidden_layers=n, num_attention_heads=4,
                num_key_value_heads=2).save_pretrained(tmp_path)  # a config alone: no weight file exists
    targets = ["q_proj", "k_proj", "v_proj", "o_proj"]
    shape = shape_of(str(tmp_path), "tiny", 4, targets)
    kv = h // 4 * 2  # two key/value heads of width 4
    attention = 2 * h * h + 2 * h * kv
    assert shape.params == n * (attention + 3 * h * i + 2 * h) + 2 * v * h + h
    assert shape.lora_params == lora_params_for(h, i, n, 4, targets, kv_hidden=kv)
    assert (shape.name, shape.hidden, shape.layers, shape.heads) == ("tiny", h, n, 4)
    assert json.loads(json.dumps(shape_dict(shape)))["lora_params"] == shape.lora_params


def test_activation_bytes_follow_korthikanti():
    shape = ModelShape("m", 1000, hidden=4, layers=3, heads=2, lora_params=10)
    # per layer s*b*h*(34 + 5*a*s/h) = 8*2*4*(34 + 5*2*8/4) = 3456 bytes at 16 bits
    assert activation_bytes(shape, batch=2, seq=8) == 3 * 3456
    assert activation_bytes(shape, batch=2, seq=8, bytes_per_value=4) == 2 * 3 * 3456


def test_memory_estimate_of_the_three_ways_to_fine_tune():
    shape = ModelShape("m", params=GIB, hidden=64, layers=2, heads=4, lora_params=2**20)
    full, lora, qlora = memory_estimate(shape, batch=1, seq=16)
    assert [r["method"] for r in (full, lora, qlora)] == ["full fine-tune", "LoRA", "QLoRA (NF4)"]
    assert full["weights_gib"] == lora["weights_gib"] == 2.0  # 16-bit weights
    assert qlora["weights_gib"] == pytest.approx(0.5 + 0.127 / 8)  # 4 bits plus the quantisation constants
    assert full["training_state_gib"] == 16.0  # fp32 master + gradient + two Adam moments per parameter
    assert lora["training_state_gib"] == qlora["training_state_gib"] == 18 * 2**20 / GIB
    assert full["trainable_params"] == GIB and lora["trainable_params"] == qlora["trainable_params"] == 2**20
    for row in (full, lora, qlora):
        assert row["model"] == "m" and row["activations_gib"] == activation_bytes(shape, 1, 16) / GIB
        parts = row["weights_gib"] + row["training_state_gib"] + row["activations_gib"]
        assert row["total_gib"] == pytest.approx(parts)
    assert qlora["total_gib"] < lora["total_gib"] < full["total_gib"]
