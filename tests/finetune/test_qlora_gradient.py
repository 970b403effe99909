"""The LoRA gradient through the 4-bit NF4 base must match the gradient through the dequantized weights.

This guards against silently wrong training on CPU (e.g. the repacking trap: a 4-bit model that has run
generate() gives gradients with cosine ~0.02 to the true one)."""

import pytest
import torch

from rag_vs_ft.config import FinetuneConfig
from rag_vs_ft.finetune.qlora import attach_lora, load_trainable_base


def _lora_grads(model, batch):
    model.zero_grad(set_to_none=True)
    model(**batch).loss.backward()
    return {n: p.grad.detach().flatten().clone() for n, p in model.named_parameters() if "lora_" in n}


@pytest.mark.parametrize("after_dev_loss", [False, True])
def test_qlora_gradient_matches_dequantized_reference(base_model_path, after_dev_loss):
    """Also after a dev-loss pass: on a CPU with AVX512-BF16, bitsandbytes packs a 4-bit weight for inference
    at its first eval-mode forward, and training through the packed weight got wrong gradients."""
    import bitsandbytes as bnb
    from transformers import AutoModelForCausalLM

    cfg = FinetuneConfig(lora_dropout=0.0, target_modules=["q_proj", "v_proj", "down_proj"])
    qmodel, method, note = load_trainable_base(base_model_path, "qlora", torch.float32, "cpu", False)
    if method != "qlora-nf4":
        pytest.skip(f"4-bit NF4 is not available on this machine: {note}")
    qmodel = attach_lora(qmodel, cfg, seed=0)
    qmodel.train()  # as train_adapter does
    torch.manual_seed(1)
    with torch.no_grad():  # B starts at zero, which would make every A gradient zero: give it values
        for n, p in qmodel.named_parameters():
            if "lora_B" in n:
                p.normal_(0, 0.02)

    ref = AutoModelForCausalLM.from_pretrained(base_model_path, dtype=torch.float32)
    ref_modules = dict(ref.named_modules())
    n_quantized = 0
    for name, module in qmodel.base_model.model.named_modules():
        if isinstance(module, bnb.nn.Linear4bit):
            w = bnb.functional.dequantize_4bit(module.weight.data, module.weight.quant_state).float()
            target = ref_modules[name.removesuffix(".base_layer")]  # peft wraps the 4-bit layer as base_layer
            target.weight.data.copy_(w.reshape(target.weight.shape))
            n_quantized += 1
    assert n_quantized >= 30 * 7 - 10  # every projection of every layer is 4-bit
    ref = attach_lora(ref, cfg, seed=0)
    ref.load_state_dict({k: v for k, v in qmodel.state_dict().items() if "lora_" in k}, strict=False)

    torch.manual_seed(2)
    ids = torch.randint(100, 40000, (2, 24))
    batch = {"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": ids}
    if after_dev_loss:
        from rag_vs_ft.finetune.data import Example
        from rag_vs_ft.finetune.qlora import mean_loss

        dev = [Example(list(range(100, 120)), list(range(100, 120)), "qa")]
        assert mean_loss(qmodel, dev, 1, 0, "cpu") > 0
    gq, gr = _lora_grads(qmodel, batch), _lora_grads(ref, batch)
    assert gq.keys() == gr.keys() and len(gq) > 0
    vq, vr = torch.cat(list(gq.values())), torch.cat(list(gr.values()))
    cosine = torch.nn.functional.cosine_similarity(vq, vr, dim=0).item()
    assert vr.norm() > 0
    assert cosine > 0.99, f"LoRA gradient through NF4 disagrees with the dequantized reference (cosine {cosine:.3f})"
    assert abs(vq.norm() / vr.norm() - 1) < 0.05
