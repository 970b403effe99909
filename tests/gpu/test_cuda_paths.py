"""The CUDA paths, run where a GPU is present and skipped, saying so, where none is (this project's CPU
machines and CI): real 4-bit NF4 QLoRA through bitsandbytes on the GPU, and vLLM serving a run's adapter
(`--enable-lora --lora-modules NAME=PATH`) answered through the `openai` backend as the in-process model
answers. The multi-GPU fine-tune's check is tests/finetune/test_distributed_gpu.py."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import torch

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine: the GPU path "
                                "is not exercised here")
needs_vllm = pytest.mark.skipif(importlib.util.find_spec("vllm") is None or shutil.which("vllm") is None,
                                reason="vLLM is not installed (pip install vllm, on a CUDA machine)")

CACHE = Path(os.environ.get("RAG_VS_FT_CACHE", Path.home() / ".cache" / "rag-vs-ft"))


@needs_cuda
def test_qlora_loads_a_real_4bit_nf4_base_on_the_gpu():
    import bitsandbytes as bnb

    from rag_vs_ft.config import EMBEDDED_LLM
    from rag_vs_ft.finetune.qlora import load_trainable_base
    from rag_vs_ft.models.resolve import generator_path

    path, _ = generator_path(EMBEDDED_LLM, CACHE)
    model, kind, note = load_trainable_base(path, "qlora", torch.bfloat16, "cuda", False)
    assert kind == "qlora-nf4", note
    layers = [m for m in model.modules() if isinstance(m, bnb.nn.Linear4bit)]
    assert layers and all(m.weight.quant_type == "nf4" for m in layers)
    assert next(model.parameters()).is_cuda


@needs_cuda
@needs_vllm
def test_vllm_serves_an_adapter_chosen_by_model_name(tmp_path):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from rag_vs_ft.config import EMBEDDED_LLM, ModelConfig
    from rag_vs_ft.models.backends.openai import open_served, vllm_adapter_name
    from rag_vs_ft.models.backends.registry import GeneratorRequest
    from rag_vs_ft.models.generator import open_generator
    from rag_vs_ft.models.resolve import generator_path

    path, _ = generator_path(EMBEDDED_LLM, CACHE)
    torch.manual_seed(0)
    adapter = tmp_path / "adapter"
    get_peft_model(AutoModelForCausalLM.from_pretrained(path),
                   LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
                   ).save_pretrained(adapter)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    name = vllm_adapter_name(str(adapter))
    server = subprocess.Popen([shutil.which("vllm"), "serve", path, "--host", "127.0.0.1", "--port", str(port),
                               "--enable-lora", "--max-lora-rank", "8", "--lora-modules", f"{name}={adapter}",
                               "--dtype", "float32"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import httpx

        for _ in range(600):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(1)
        settings = ModelConfig(backend="openai", base_url=f"http://127.0.0.1:{port}/v1", served_name=path,
                               lora="vllm", max_new_tokens=20)
        convs = [[{"role": "user", "content": q}] for q in ("What is a contract?", "Who wrote Hamlet?")]
        served = open_served(GeneratorRequest(path, torch.float32, "cuda", 20, 2, adapter_dir=str(adapter),
                                              settings=settings)).generate(convs)
        local = open_generator(path, torch.float32, "cuda", 20, 2, adapter_dir=str(adapter)).generate(convs)
        same = sum(a.text == b.text for a, b in zip(served, local)) / len(convs)
        print(f"vLLM with the adapter vs in process: {same:.2f} identical")
        assert same >= 0.5
    finally:
        server.terminate()
        server.wait(timeout=60)
