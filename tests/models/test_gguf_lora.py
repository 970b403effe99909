"""A PEFT adapter converted to GGUF LoRA answers on llama.cpp's server (the real xllamacpp wheel, the embedded
Q4_1 GGUF) as the same adapter merged into the dequantized model answers in process — and only with the q/k
row permutation the converter applies: without it the adapter loads and silently answers otherwise."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("xllamacpp", reason="llama.cpp's server wheel (xllamacpp) is not installed")

PROMPTS = ["What is the capital of France?", "Name three colours.", "Who wrote Hamlet?", "What is 2+2?",
           "Describe a cat in one sentence.", "What is a contract?"]


def test_the_permutation_is_the_inverse_of_transformers_gguf_loader():
    from transformers.modeling_gguf_pytorch_utils import LlamaTensorProcessor

    from rag_vs_ft.models.gguf_lora import gguf_rope_permute

    rows = np.arange(12 * 5, dtype=np.float32).reshape(12, 5)
    loader = LlamaTensorProcessor(config={"num_attention_heads": 6, "num_key_value_heads": 3})
    for n_head, name in ((6, "blk.0.attn_q.weight"), (3, "blk.0.attn_k.weight")):
        assert np.array_equal(loader.process(gguf_rope_permute(rows, n_head), name).weights, rows)
    assert not np.array_equal(gguf_rope_permute(rows, 3), rows)


def test_an_embedding_adapter_is_refused(tmp_path):
    import json

    from safetensors.numpy import save_file

    from rag_vs_ft.models.gguf_lora import AdapterConversionError, convert_adapter
    from rag_vs_ft.models.resolve import embedded_gguf

    (tmp_path / "adapter_config.json").write_text(json.dumps({"r": 2, "lora_alpha": 4}))
    save_file({"base_model.model.lm_head.lora_A.weight": np.zeros((2, 576), np.float32)},
              str(tmp_path / "adapter_model.safetensors"))
    with pytest.raises(AdapterConversionError, match="lm_head"):
        convert_adapter(tmp_path, embedded_gguf())


@pytest.mark.slow
def test_the_served_adapter_answers_like_the_merged_one_and_only_with_the_permutation(tmp_path):
    import httpx
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from rag_vs_ft.config import EMBEDDED_LLM
    from rag_vs_ft.models.gguf_lora import convert_adapter
    from rag_vs_ft.models.llamacpp import start_server
    from rag_vs_ft.models.resolve import embedded_gguf, generator_path

    torch.manual_seed(0)
    path, _ = generator_path(EMBEDDED_LLM, Path(os.environ.get("RAG_VS_FT_CACHE", Path.home() / ".cache" / "rag-vs-ft")))
    tok = AutoTokenizer.from_pretrained(path)
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32),
                           LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "k_proj", "v_proj"],
                                      init_lora_weights=False, lora_dropout=0.0))  # random B: q/k rows matter
    model.save_pretrained(tmp_path)
    merged = model.merge_and_unload().eval()

    def in_process(prompt: str) -> str:
        text = tok.apply_chat_template([{"role": "user", "content": prompt}], add_generation_prompt=True, tokenize=False)
        enc = tok(text, return_tensors="pt", add_special_tokens=False)
        out = merged.generate(**enc, max_new_tokens=20, do_sample=False)
        return tok.decode(out[0, enc["input_ids"].shape[1]:], skip_special_tokens=True).strip()

    reference = [in_process(p) for p in PROMPTS]
    adapters = [convert_adapter(tmp_path, embedded_gguf()), convert_adapter(tmp_path, embedded_gguf(), permute=False)]
    shares = []
    with start_server(embedded_gguf(), adapters, ctx_size=2048) as server:
        for chosen in (0, 1):
            agree = []
            for prompt, ref in zip(PROMPTS, reference):
                body = {"model": "base", "messages": [{"role": "user", "content": prompt}], "temperature": 0,
                        "max_tokens": 20, "lora": [{"id": i, "scale": float(i == chosen)} for i in (0, 1)]}
                got = httpx.post(server.base_url + "/chat/completions", json=body, timeout=120).json()
                answer = got["choices"][0]["message"]["content"].strip()
                agree.append(len(os.path.commonprefix([ref, answer])) / max(len(ref), 1))
            shares.append(float(np.mean(agree)))
    # Measured: 0.78 of each answer's characters agree before the first difference with the permutation, 0.28
    # without (Q4_1 weights and llama.cpp's quantized activations against the dequantized fp32 model explain
    # the rest: 3 of 6 answers identical to the last token, 0 of 6 without the permutation).
    permuted, unpermuted = shares
    assert permuted >= 0.6, shares
    assert unpermuted <= permuted - 0.25, shares
