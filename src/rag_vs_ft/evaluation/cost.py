"""Cost and memory: measured peaks, prices, and the memory bill of each way to fine-tune a model.

The estimate is the usual back-of-envelope a team does before renting hardware (weights + gradients +
optimizer states + activations, no activation checkpointing), computed from the model's real shape.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

GIB = 2**30
ADAM_BYTES = 8           # two fp32 moments per trainable parameter
MASTER_GRAD_BYTES = 8    # fp32 master weight + fp32 gradient per trainable parameter (mixed precision)
NF4_BYTES = 0.5 + 0.127 / 8  # 4-bit weights + double-quantized block constants (QLoRA paper: 0.127 bit/param)
# A 7B reference (Llama-2-7B's shape) so a user of a small model still sees what a typical team model costs.
REFERENCE_7B = {"name": "7B reference (Llama-2-7B shape)", "hidden": 4096, "layers": 32, "heads": 32,
                "intermediate": 11008, "vocab": 32000}


def usd(seconds: float, usd_per_hour: float) -> float:
    return seconds / 3600 * usd_per_hour


@dataclass(frozen=True)
class ModelShape:
    name: str
    params: int
    hidden: int
    layers: int
    heads: int
    lora_params: int  # trainable parameters of the configured LoRA adapter


def lora_params_for(hidden: int, intermediate: int, layers: int, r: int, targets: list[str],
                    kv_hidden: int | None = None) -> int:
    """LoRA adds r * (in + out) parameters to every targeted linear layer (Llama-style block)."""
    kv = kv_hidden or hidden
    dims = {"q_proj": (hidden, hidden), "k_proj": (hidden, kv), "v_proj": (hidden, kv), "o_proj": (hidden, hidden),
            "gate_proj": (hidden, intermediate), "up_proj": (hidden, intermediate),
            "down_proj": (intermediate, hidden)}
    return layers * sum(r * sum(dims[t]) for t in targets if t in dims)


def reference_shape(r: int, targets: list[str]) -> ModelShape:
    h, i, n, v = (REFERENCE_7B[k] for k in ("hidden", "intermediate", "layers", "vocab"))
    params = n * (4 * h * h + 3 * h * i + 2 * h) + 2 * v * h + h
    return ModelShape(REFERENCE_7B["name"], params, h, n, REFERENCE_7B["heads"], lora_params_for(h, i, n, r, targets))


def shape_of(model_dir: str, name: str, r: int, targets: list[str], trust_remote_code: bool = False) -> ModelShape:
    """The configured model's exact shape, read by instantiating it on the meta device (no memory, no weights)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.from_pretrained(model_dir, trust_remote_code=trust_remote_code)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config, trust_remote_code=trust_remote_code)
    params = sum(p.numel() for p in model.parameters())
    lora = sum(r * (m.in_features + m.out_features) for full, m in model.named_modules()
               if isinstance(m, torch.nn.Linear) and full.rsplit(".", 1)[-1] in targets)
    return ModelShape(name, params, config.hidden_size, config.num_hidden_layers, config.num_attention_heads, lora)


def activation_bytes(shape: ModelShape, batch: int, seq: int, bytes_per_value: int = 2) -> float:
    """Korthikanti et al. (2022): s*b*h*(34 + 5*a*s/h) bytes per layer at 16 bits, no recomputation."""
    per_layer = seq * batch * shape.hidden * (34 + 5 * shape.heads * seq / shape.hidden)
    return per_layer * shape.layers * bytes_per_value / 2


def memory_estimate(shape: ModelShape, batch: int, seq: int) -> list[dict]:
    """GiB needed to fine-tune `shape` three ways, with 16-bit weights and compute."""
    act = activation_bytes(shape, batch, seq)
    adapter = shape.lora_params * (2 + MASTER_GRAD_BYTES + ADAM_BYTES)
    rows = [
        ("full fine-tune", shape.params * 2, shape.params * (MASTER_GRAD_BYTES + ADAM_BYTES), shape.params),
        ("LoRA", shape.params * 2, adapter, shape.lora_params),
        ("QLoRA (NF4)", shape.params * NF4_BYTES, adapter, shape.lora_params),
    ]
    return [{"model": shape.name, "method": method, "weights_gib": w / GIB, "training_state_gib": s / GIB,
             "activations_gib": act / GIB, "total_gib": (w + s + act) / GIB, "trainable_params": t}
            for method, w, s, t in rows]


def shape_dict(shape: ModelShape) -> dict:
    return asdict(shape)
