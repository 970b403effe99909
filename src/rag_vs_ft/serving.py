"""`rag-vs-ft serve`: llama.cpp's HTTP server on the embedded model with a run's adapters, for `rag-vs-ft run
model.backend=openai` (or any OpenAI-compatible client) to answer through, the way a deployment would.

The adapters are the ones a run with the same settings answers with: the stages up to the fine-tune run first
(everything cached is reused, what is missing is trained), then each adapter is converted to a GGUF LoRA beside
its PEFT files and loaded at scale 0, so a request chooses it by id (see models/backends/openai.py).
"""

from __future__ import annotations

from pathlib import Path

from rag_vs_ft.config import RunConfig
from rag_vs_ft.pipeline import check_before_compute, corpus_stage, finetune_stage, index_stage, model_stage
from rag_vs_ft.ui import UI


def run_adapters(cfg: RunConfig, ui: UI) -> dict[str, str]:
    """recipe@seed -> adapter directory, for every adapter a run with `cfg` answers with (trained if missing)."""
    setup = check_before_compute(cfg, ui)
    corpus = corpus_stage(setup)
    with setup.ui.live():
        model = model_stage(setup)
        index = index_stage(setup, corpus)
        tuned = finetune_stage(setup, corpus, model, index)
    return {f"{recipe}@{seed}": str(result.adapter_dir) for (recipe, seed), result in tuned.adapters.items()}


def start_for_run(cfg: RunConfig, ui: UI, port: int, slots: int, slot_context: int = 2048):
    """(the started server, recipe@seed -> its GGUF adapter path). The caller closes the server."""
    from rag_vs_ft.models.backends.llamacpp import base_gguf
    from rag_vs_ft.models.gguf_lora import convert_adapter
    from rag_vs_ft.models.llamacpp import start_server

    gguf = base_gguf(cfg.model)
    adapters = {name: convert_adapter(Path(d), gguf) for name, d in run_adapters(cfg, ui).items()}
    server = start_server(gguf, list(adapters.values()), n_parallel=slots, ctx_size=slots * slot_context,
                          port=port)
    return server, adapters
