"""measure: memory readings that move with real allocations, and the machine and package descriptions."""

import mmap
import os
from pathlib import Path

import pytest

from rag_vs_ft.measure import current_memory_mb, machine_info, package_versions, peak_memory_mb, reset_peak_memory

MB = 2**20


def touched_block(size: int) -> mmap.mmap:
    """Fresh anonymous pages from the kernel, each written once, so all of them are resident. (A bytes object may
    reuse pages the allocator already holds after earlier tests, and then resident memory does not move.)"""
    block = mmap.mmap(-1, size)
    for offset in range(0, size, mmap.PAGESIZE):
        block[offset] = 1
    return block


def test_memory_readings_follow_an_allocation():
    before = current_memory_mb("cpu")
    block = touched_block(100 * MB)
    during = current_memory_mb("cpu")
    assert during - before > 80
    assert peak_memory_mb("cpu") >= during - 1  # the peak is never below what is resident now
    block.close()  # unmapped: the pages go back to the kernel
    assert current_memory_mb("cpu") < during - 80


@pytest.mark.skipif(not os.access("/proc/self/clear_refs", os.W_OK), reason="needs Linux's /proc/self/clear_refs")
def test_reset_starts_a_new_peak_window():
    touched_block(100 * MB).close()
    high = peak_memory_mb("cpu")
    reset_peak_memory("cpu")
    low = peak_memory_mb("cpu")
    assert low < high - 80 and low >= current_memory_mb("cpu") - 1


def test_machine_info_describes_this_machine():
    import torch

    info = machine_info()
    assert info["cpu_count"] == os.cpu_count() and info["torch_threads"] == torch.get_num_threads()
    assert info["platform"] and info["processor"]
    assert (info["cuda"] is None) == (not torch.cuda.is_available())
    if Path("/proc/meminfo").exists():
        total_kb = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal:"))
        assert info["memory_gb"] == pytest.approx(total_kb / 2**20, abs=0.1)


def test_package_versions_name_the_installed_ones_and_the_missing(monkeypatch):
    import importlib.metadata as md

    import torch

    real = md.version

    def version(name):
        if name == "ragas":
            raise md.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(md, "version", version)
    out = package_versions()
    assert out["ragas"] == "not installed"
    assert out["torch"] == torch.__version__ and out["rag-vs-ft"] == real("rag-vs-ft")
    assert {"transformers", "peft", "faiss-cpu", "typer"} <= set(out)


def test_memory_a_stage_freed_goes_back_to_the_os():
    """glibc keeps freed heap pages resident; release_freed_memory hands them back (measured: a fine-tune left
    3.9 GB behind). Run in a fresh process, so other tests' heaps do not blur the numbers."""
    import subprocess
    import sys

    code = (
        "import gc, torch\n"
        "from rag_vs_ft.measure import current_memory_mb, release_freed_memory\n"
        "blocks = [torch.ones(16 * 1024) for _ in range(2000)]\n"  # 64 KB each: on the heap, not mmapped
        "keep = blocks[-1]\n"  # the top of the heap stays in use, so free() alone cannot shrink it
        "del blocks\n"
        "gc.collect()\n"
        "held = current_memory_mb('cpu')\n"
        "release_freed_memory()\n"
        "print(held, current_memory_mb('cpu'))\n")
    held, after = map(float, subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                            check=True).stdout.split())
    assert held - after > 80  # MB: most of the 125 MB freed
