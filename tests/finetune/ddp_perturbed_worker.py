"""A torchrun rank like rag_vs_ft.finetune.launch, except that rank 1 trains on other examples than rank 0: the
negative control of test_distributed (a rank whose data differs must move the adapter past the tolerance)."""

import os
import sys
from pathlib import Path

import torch

from rag_vs_ft.finetune.launch import read_spec, run_spec

spec = read_spec(Path(sys.argv[1]))
if int(os.environ["RANK"]) == 1:
    alt = torch.load(Path(sys.argv[1]).with_suffix(".alt"), weights_only=False)
    spec["tset"].examples = alt  # same count, other tokens: the global batch is no longer the one of one process
run_spec(spec)
