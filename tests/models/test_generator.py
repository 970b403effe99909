"""models.generator: the dtype and device chosen for a run, the CPU bf16 check, the tokenizer's pad token, and
`open_generator` handing a request to the named backend (toy backends are tested in tests/models/backends/)."""

import pytest
import torch

from rag_vs_ft.models import generator
from rag_vs_ft.models.generator import cpu_has_fast_bf16, dtype_name, load_tokenizer, pick_device, pick_dtype
from tiny_model import save_tiny_tokenizer


@pytest.mark.parametrize("device", ["cpu", "cuda"])
@pytest.mark.parametrize("name, dtype", [("fp32", torch.float32), ("fp16", torch.float16),
                                         ("bf16", torch.bfloat16)])
def test_an_explicit_dtype_is_taken_on_any_device(name, dtype, device, monkeypatch):
    monkeypatch.setattr(generator, "cpu_has_fast_bf16", lambda: pytest.fail("auto only"))
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: pytest.fail("auto only"))
    assert pick_dtype(name, device) is dtype


@pytest.mark.parametrize("fast, dtype", [(True, torch.bfloat16), (False, torch.float32)])
def test_auto_on_cpu_is_bf16_only_with_native_bf16(fast, dtype, monkeypatch):
    monkeypatch.setattr(generator, "cpu_has_fast_bf16", lambda: fast)
    assert pick_dtype("auto", "cpu") is dtype


@pytest.mark.parametrize("bf16, dtype", [(True, torch.bfloat16), (False, torch.float16)])
def test_auto_on_cuda_is_bf16_where_supported_else_fp16(bf16, dtype, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: bf16)
    monkeypatch.setattr(generator, "cpu_has_fast_bf16", lambda: pytest.fail("a GPU run ignores the CPU"))
    assert pick_dtype("auto", "cuda") is dtype


class _CpuInfo:
    def __init__(self, text):
        self.text = text

    def read(self):
        if isinstance(self.text, Exception):
            raise self.text
        return self.text


@pytest.mark.parametrize("flags, fast", [
    ("flags\t\t: fpu sse2 avx2 avx512f avx512_bf16 avx512vl", True),
    ("flags\t\t: fpu sse2 avx2 avx512f amx_bf16 amx_tile", True),
    ("flags\t\t: fpu sse2 avx2 avx512f avx512bw avx512vl", False),  # AVX512 without bf16: fp32 is faster
    ("", False),
])
def test_cpu_bf16_needs_the_avx512_bf16_or_amx_flag(flags, fast, monkeypatch):
    monkeypatch.setattr(generator, "open", lambda *a, **k: _CpuInfo(flags), raising=False)
    assert cpu_has_fast_bf16() is fast


def test_no_cpuinfo_means_no_fast_bf16(monkeypatch):
    def missing(*a, **k):
        raise FileNotFoundError("/proc/cpuinfo")

    monkeypatch.setattr(generator, "open", missing, raising=False)
    assert cpu_has_fast_bf16() is False


def test_pick_device_follows_cuda_availability(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert pick_device() == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert pick_device() == "cpu"


def test_load_tokenizer_pads_with_eos_when_the_model_has_no_pad_token(tmp_path):
    no_pad = load_tokenizer(str(save_tiny_tokenizer(tmp_path / "no_pad", pad=False)))
    assert no_pad.pad_token == no_pad.eos_token == "<eos>"
    with_pad = load_tokenizer(str(save_tiny_tokenizer(tmp_path / "pad", pad=True)))
    assert with_pad.pad_token == "<pad>"  # an existing pad token is kept


def test_open_generator_with_an_unknown_backend_is_a_config_error():
    from rag_vs_ft.config import ConfigError

    with pytest.raises(ConfigError, match="model.backend"):
        generator.open_generator("/nowhere", torch.float32, "cpu", 8, 2, backend="no_such_backend")


@pytest.mark.parametrize("dtype, name", [(torch.bfloat16, "bfloat16"), (torch.float32, "float32"),
                                         (torch.float16, "float16")])
def test_dtype_name_is_torchs_name_without_the_module(dtype, name):
    assert dtype_name(dtype) == name
