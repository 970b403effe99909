"""The fine-tune on two GPUs (torchrun, nccl, one GPU per rank, real 4-bit NF4): run where two CUDA devices are
present, skipped, saying so, everywhere else (this project's CPU machines and CI). The CPU check with the same
protocol and its negative control is test_distributed.py."""

import pytest
import torch
from safetensors.torch import load_file

from rag_vs_ft.config import FinetuneConfig
from rag_vs_ft.finetune import launch
from rag_vs_ft.finetune.qlora import train_adapter
from rag_vs_ft.finetune.recipes.closed_book import closed_book_set
from rag_vs_ft.models.generator import load_tokenizer
from tiny_docs import rules as _rules

needs_two_gpus = pytest.mark.skipif(torch.cuda.device_count() < 2, reason=f"{torch.cuda.device_count()} CUDA "
                                    "GPU(s) on this machine: the two-GPU (nccl) fine-tune needs 2")


@needs_two_gpus
def test_two_gpus_train_the_one_gpu_adapter(base_model_path, tmp_path):
    docs, qa = _rules(8)
    cfg = FinetuneConfig(lora_dropout=0.0, packing=False, batch_size=4, epochs=2.0, learning_rate=2e-3,
                         generated_qa=False)  # QLoRA: NF4 on each GPU
    tset = closed_book_set(load_tokenizer(base_model_path), docs, qa, [], cfg, budget=None)
    args = (base_model_path, {"name": "t"}, tset, cfg, 0, "cuda", torch.bfloat16)
    one = train_adapter(*args, tmp_path / "one")
    two = launch.train_in_processes(2, *args, tmp_path / "two")
    assert one.method == two.method == "qlora-nf4" and two.processes == 2 and one.key == two.key
    a = load_file(str(tmp_path / "one" / "adapters" / one.key / "adapter_model.safetensors"))
    b = load_file(str(tmp_path / "two" / "adapters" / two.key / "adapter_model.safetensors"))
    # the measure of test_distributed.py (difference norm over adapter norm); the tolerance is bf16's rounding
    # (~4e-3 a step) over four steps with slack, not measured: no machine of this project has two GPUs
    diff = sum(float((a[k].double() - b[k].double()).pow(2).sum()) for k in a)
    gap = (diff / sum(float(t.double().pow(2).sum()) for t in a.values())) ** 0.5
    assert gap < 0.05, f"two GPUs moved the adapter by {gap:.2e} of its norm"
