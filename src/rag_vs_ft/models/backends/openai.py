"""The `openai` backend: every answer comes from an OpenAI-compatible server (vLLM, llama.cpp's server, TGI,
Ollama) at `model.base_url`, the way a team would serve the model it deploys. A tuned arm's LoRA adapter is
served by the server too, never merged here; how a request chooses it depends on the engine (`model.lora`):

- vLLM: each adapter is a model name (`vllm serve BASE --enable-lora --lora-modules NAME=PATH`), chosen per
  request with `"model": NAME`; an adapter the server lacks is loaded with `POST /v1/load_lora_adapter` (allowed
  when the server runs with VLLM_ALLOW_RUNTIME_LORA_UPDATING=True).
- llama.cpp: adapters are given at start (GGUF LoRA, scale 0) and listed by `GET /lora-adapters`; a request sets
  every adapter's scale in `"lora": [{"id": i, "scale": s}]`, 1 for its arm's and 0 for the rest.

Decoding is greedy (temperature 0), as in process. A batch's requests are sent together, so the server's own
batching works as it would under load.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from rag_vs_ft.config import ModelConfig
from rag_vs_ft.models.backends.registry import Backend, GeneratorRequest, register
from rag_vs_ft.models.generator import BatchDone, Generation, Messages
from rag_vs_ft.models.openai_endpoint import Endpoint
from rag_vs_ft.models.resolve import ModelError

GGUF_ADAPTER = "adapter.gguf"  # where models/gguf_lora.py writes an adapter's llama.cpp form, beside its PEFT files


class ServedModelError(ModelError):
    """The served model cannot answer at all (unreachable, unknown model, adapter not served); one line."""


@dataclass(frozen=True)
class Route:
    """How one arm's requests address the model on the server."""

    model: str
    extra_body: dict = field(default_factory=dict)


def server_root(base_url: str) -> str:
    """The server's own routes (/lora-adapters, /v1/load_lora_adapter) hang off the URL without /v1."""
    url = base_url.rstrip("/")
    return url[:-3] if url.endswith("/v1") else url


def vllm_adapter_name(adapter_dir: str) -> str:
    """The model name an adapter is served as: its cache folder's name, which is its content key."""
    return "rvf-" + Path(adapter_dir).name


def _get(http, url: str):
    resp = http.get(url)
    return resp.json() if resp.status_code == 200 else None


def served_models(http, base_url: str) -> list[str]:
    listed = _get(http, base_url.rstrip("/") + "/models") or {}
    return [m.get("id") for m in listed.get("data", []) if m.get("id")]


def llamacpp_route(http, endpoint: Endpoint, base: str, adapter_dir: str | None) -> Route:
    adapters = _get(http, server_root(endpoint.base_url) + "/lora-adapters") or []
    wanted = str((Path(adapter_dir) / GGUF_ADAPTER).resolve()) if adapter_dir else None
    found = [a["id"] for a in adapters if wanted and str(Path(a.get("path", "")).resolve()) == wanted]
    if adapter_dir and not found:
        raise ServedModelError(f"{endpoint.where} serves no adapter {wanted}: start it with that adapter "
                               "(`rag-vs-ft serve` converts and loads a run's adapters)")
    # every adapter's scale is set in each request: the server's global scales stay whatever they were
    scales = [{"id": a["id"], "scale": 1.0 if found and a["id"] == found[0] else 0.0} for a in adapters]
    return Route(base, {"lora": scales} if adapters else {})


def vllm_route(http, endpoint: Endpoint, base: str, adapter_dir: str | None) -> Route:
    if not adapter_dir:
        return Route(base)
    name = vllm_adapter_name(adapter_dir)
    if name not in served_models(http, endpoint.base_url):
        resp = http.post(server_root(endpoint.base_url) + "/v1/load_lora_adapter",
                         json={"lora_name": name, "lora_path": str(Path(adapter_dir).resolve())})
        if resp.status_code != 200:
            raise ServedModelError(
                f"{endpoint.where} does not serve adapter {name} and would not load it (HTTP {resp.status_code}):"
                f" start vLLM with --enable-lora --lora-modules {name}={Path(adapter_dir).resolve()} (or with "
                "VLLM_ALLOW_RUNTIME_LORA_UPDATING=True)")
    return Route(name)


def route_for(settings: ModelConfig, endpoint: Endpoint, adapter_dir: str | None) -> Route:
    """The base model's name (as configured, or the first the server lists) and the adapter's address."""
    import httpx

    try:
        with httpx.Client(timeout=30.0) as http:
            base = settings.served_name or next(iter(served_models(http, endpoint.base_url)), None)
            if base is None:
                raise ServedModelError(f"{endpoint.where} lists no model: set model.served_name")
            style = settings.lora
            if style == "auto":
                style = "llamacpp" if _get(http, server_root(endpoint.base_url) + "/lora-adapters") is not None \
                    else "vllm"
            return (llamacpp_route if style == "llamacpp" else vllm_route)(http, endpoint, base, adapter_dir)
    except httpx.HTTPError as exc:
        raise ServedModelError(f"{endpoint.where} is unreachable ({type(exc).__name__}); is the server running?") \
            from None


class ServedGenerator:
    """The `Generator` of a served model: one chat request per conversation, a batch's requests in flight
    together."""

    served = True  # answering measures a served generator's throughput and latency under load

    def __init__(self, endpoint: Endpoint, route: Route, max_new_tokens: int, batch_size: int):
        self.endpoint, self.route = endpoint, route
        self.max_new_tokens, self.batch_size = max_new_tokens, batch_size
        self.client = endpoint.client()

    def one(self, messages: Messages) -> Generation:
        t0 = time.perf_counter()
        try:
            resp = self.client.chat.completions.create(
                model=self.route.model, messages=messages, temperature=0.0, max_tokens=self.max_new_tokens,
                seed=0, extra_body=self.route.extra_body or None)
        except Exception as exc:  # noqa: BLE001 - a dead server stops the run; any other error costs one answer
            message = self.endpoint.failure(exc)
            if message:
                raise ServedModelError(message) from None
            return Generation("", time.perf_counter() - t0, 0, 0)
        usage = resp.usage
        text = (resp.choices[0].message.content or "") if resp.choices else ""
        return Generation(text.strip(), time.perf_counter() - t0, getattr(usage, "prompt_tokens", 0) or 0,
                          getattr(usage, "completion_tokens", 0) or 0)

    def generate(self, conversations: list[Messages], on_batch: Callable[[int], None] | None = None,
                 skip: set[int] = frozenset(), on_done: BatchDone | None = None) -> list[Generation | None]:
        out: list[Generation | None] = [None] * len(conversations)
        with ThreadPoolExecutor(self.batch_size) as pool:
            for start in range(0, len(conversations), self.batch_size):
                idx = list(range(start, min(start + self.batch_size, len(conversations))))
                if not all(i in skip for i in idx):
                    t0 = time.perf_counter()
                    gens = list(pool.map(self.one, [conversations[i] for i in idx]))
                    per = (time.perf_counter() - t0) / len(idx)  # amortised, as Generation.latency_s says
                    for i, g in zip(idx, gens):
                        out[i] = Generation(g.text, per, g.prompt_tokens, g.generated_tokens)
                    if on_done:
                        on_done(idx, [out[i] for i in idx])
                if on_batch:
                    on_batch(len(idx))
        return out


def served_endpoint(settings: ModelConfig, base_url: str | None = None) -> Endpoint:
    url = base_url or settings.base_url
    if not url:
        raise ServedModelError("model.backend=openai needs model.base_url (the server's OpenAI-compatible URL)")
    return Endpoint(url, settings.served_name or "(first listed)", settings.api_key_env, "served model",
                    settings.timeout_s, max_retries=1)


def open_served(req: GeneratorRequest, base_url: str | None = None) -> ServedGenerator:
    settings = req.settings or ModelConfig(backend="openai")
    endpoint = served_endpoint(settings, base_url)
    route = route_for(settings, endpoint, req.adapter_dir)
    return ServedGenerator(endpoint, route, req.max_new_tokens, req.batch_size)


register(Backend("openai", "an OpenAI-compatible server at model.base_url (vLLM, llama.cpp, TGI, Ollama), "
                 "adapters served by it", open_served))
