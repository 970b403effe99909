"""Train one adapter on several processes (`finetune.processes=N`): torchrun starts N copies of this module, each
loads the same training spec and runs qlora.train_adapter as one rank of a DDP group (finetune.distributed);
rank 0 writes the adapter into the cache, where the calling process then finds it.

    python -m torch.distributed.run --standalone --nproc_per_node N -m rag_vs_ft.finetune.launch SPEC.pt

Why torchrun and not `accelerate launch`: with --cpu, accelerate's launcher starts one process whatever
--num_processes says. torchrun's --standalone rendezvous listens on a free port of this machine only.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Callable

import torch

from rag_vs_ft.config import FinetuneConfig
from rag_vs_ft.finetune.qlora import StepCallback, TrainResult, cached_adapter, train_adapter
from rag_vs_ft.finetune.recipes.selection import TrainingSet


def write_spec(path: Path, base_path: str, base_info: dict, tset: TrainingSet, cfg: FinetuneConfig, seed: int,
               device: str, dtype: torch.dtype, cache_dir: Path, trust_remote_code: bool) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"base_path": base_path, "base_info": base_info, "tset": tset, "cfg": cfg.model_dump(),
                "seed": seed, "device": device, "dtype": dtype, "cache_dir": str(cache_dir),
                "trust_remote_code": trust_remote_code}, path)
    return path


def read_spec(path: Path) -> dict:
    spec = torch.load(path, weights_only=False)  # our own file, written just before by write_spec
    spec["cfg"] = FinetuneConfig(**spec["cfg"])
    spec["cache_dir"] = Path(spec["cache_dir"])
    return spec


def run_spec(spec: dict) -> TrainResult:
    return train_adapter(spec["base_path"], spec["base_info"], spec["tset"], spec["cfg"], spec["seed"],
                         spec["device"], spec["dtype"], spec["cache_dir"], spec["trust_remote_code"])


def torchrun_command(processes: int, spec: Path, script: str | None = None) -> list[str]:
    """`script`: a file to run instead of this module (tests use one that alters one rank's data)."""
    target = [script] if script else ["-m", "rag_vs_ft.finetune.launch"]
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}",
            *target, str(spec)]


def train_in_processes(processes: int, base_path: str, base_info: dict, tset: TrainingSet, cfg: FinetuneConfig,
                       seed: int, device: str, dtype: torch.dtype, cache_dir: Path, trust_remote_code: bool = False,
                       on_start: Callable[[int], StepCallback] | None = None) -> TrainResult:
    """train_adapter's signature and result, trained by `processes` torchrun ranks. A cached adapter is returned
    without starting any; the ranks' own progress goes to this terminal."""
    if tset.examples and (found := cached_adapter(base_info, tset, cfg, seed, cache_dir)) is not None:
        return found
    spec = write_spec(cache_dir / "ddp" / f"{uuid.uuid4().hex}.pt", base_path, base_info, tset, cfg, seed, device,
                      dtype, cache_dir, trust_remote_code)
    try:
        # every rank would take all cores: share them out unless the user set it (torchrun's default is 1 each)
        threads = str(max(1, (os.cpu_count() or 1) // processes))
        env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", threads)}
        done = subprocess.run(torchrun_command(processes, spec), env=env)
        if done.returncode != 0:
            raise RuntimeError(f"the {processes}-process fine-tune failed (torchrun exit {done.returncode}); its "
                               "ranks' errors are printed above")
    finally:
        spec.unlink(missing_ok=True)
    return train_adapter(base_path, base_info, tset, cfg, seed, device, dtype, cache_dir, trust_remote_code)


def trainer(processes: int) -> Callable[..., TrainResult]:
    """The function that trains an adapter with `processes` ranks (train_adapter itself for one)."""
    if processes == 1:
        return train_adapter
    return lambda *args, **kwargs: train_in_processes(processes, *args, **kwargs)


if __name__ == "__main__":
    run_spec(read_spec(Path(sys.argv[1])))
