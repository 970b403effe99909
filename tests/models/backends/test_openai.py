"""The `openai` backend against a scripted OpenAI-compatible server on 127.0.0.1: how each engine's adapters are
addressed per request (llama.cpp by id and scale, vLLM by model name with a run-time load), answers in input
order, resumption, one-line errors, and the load levels answering measures. The real llama.cpp server is
exercised in tests/models/test_llamacpp_backend.py."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rag_vs_ft.config import ModelConfig, load_config
from rag_vs_ft.models.backends.openai import (GGUF_ADAPTER, ServedModelError, open_served, vllm_adapter_name)
from rag_vs_ft.models.backends.registry import GeneratorRequest


class Script:
    """What the fake server serves and what it was asked."""

    def __init__(self, lora_adapters=None, models=("base-model",), can_load=True, delay=0.0):
        self.lora_adapters, self.models, self.can_load, self.delay = lora_adapters, list(models), can_load, delay
        self.chats: list[dict] = []
        self.loads: list[dict] = []
        self.in_flight = self.most_in_flight = 0
        self.lock = threading.Lock()


def handler_for(script: Script):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def reply(self, code: int, body) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path == "/v1/models":
                return self.reply(200, {"object": "list", "data": [{"id": m, "object": "model"} for m in script.models]})
            if self.path == "/lora-adapters" and script.lora_adapters is not None:
                return self.reply(200, script.lora_adapters)
            return self.reply(404, {"error": "no route"})

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if self.path == "/v1/load_lora_adapter":
                script.loads.append(body)
                if script.can_load:
                    script.models.append(body["lora_name"])
                    return self.reply(200, {"ok": True})
                return self.reply(400, {"error": "runtime LoRA updating is off"})
            with script.lock:
                script.chats.append(body)
                script.in_flight += 1
                script.most_in_flight = max(script.most_in_flight, script.in_flight)
            time.sleep(script.delay)
            with script.lock:
                script.in_flight -= 1
            text = "answer to " + body["messages"][-1]["content"]
            return self.reply(200, {"id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                                    "choices": [{"index": 0, "finish_reason": "stop",
                                                 "message": {"role": "assistant", "content": text}}],
                                    "usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}})
    return Handler


@pytest.fixture
def serve():
    servers = []

    def start(script: Script) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(script))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/v1"

    yield start
    for s in servers:
        s.shutdown()


def request(url: str, adapter_dir=None, lora="auto", batch_size=4, **keys) -> GeneratorRequest:
    settings = ModelConfig(backend="openai", base_url=url, lora=lora, **keys)
    return GeneratorRequest("unused", None, "cpu", 16, batch_size, adapter_dir=adapter_dir, settings=settings)


def chat(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def test_llamacpp_adapters_are_chosen_by_id_with_every_other_scale_zero(serve, tmp_path):
    a, b = tmp_path / "adapter-a", tmp_path / "adapter-b"
    listed = [{"id": 0, "path": str(a / GGUF_ADAPTER), "scale": 0.0}, {"id": 1, "path": str(b / GGUF_ADAPTER), "scale": 0.0}]
    script = Script(lora_adapters=listed)
    url = serve(script)
    open_served(request(url, str(b))).generate([chat("q1")])
    open_served(request(url, None)).generate([chat("q2")])
    tuned, base = script.chats
    assert tuned["lora"] == [{"id": 0, "scale": 0.0}, {"id": 1, "scale": 1.0}]
    assert base["lora"] == [{"id": 0, "scale": 0.0}, {"id": 1, "scale": 0.0}]  # the base answers as the base
    assert tuned["model"] == "base-model" and tuned["temperature"] == 0.0 and tuned["max_tokens"] == 16


def test_an_adapter_the_llamacpp_server_lacks_is_a_one_line_error(serve, tmp_path):
    url = serve(Script(lora_adapters=[]))
    with pytest.raises(ServedModelError) as err:
        open_served(request(url, str(tmp_path / "adapter-z")))
    assert "serves no adapter" in str(err.value) and "\n" not in str(err.value)


def test_vllm_adapters_are_model_names_loaded_at_run_time_when_missing(serve, tmp_path):
    script = Script(lora_adapters=None)  # no /lora-adapters route: auto means vLLM
    url = serve(script)
    adapter = tmp_path / "abc123"
    gens = open_served(request(url, str(adapter))).generate([chat("q")])
    assert script.loads == [{"lora_name": vllm_adapter_name(str(adapter)), "lora_path": str(adapter.resolve())}]
    assert script.chats[0]["model"] == "rvf-abc123" and "lora" not in script.chats[0]
    assert gens[0].text == "answer to q"
    open_served(request(url, str(adapter))).generate([chat("again")])
    assert len(script.loads) == 1  # served now: not loaded twice


def test_vllm_refusing_to_load_names_the_serve_flag(serve, tmp_path):
    url = serve(Script(lora_adapters=None, can_load=False))
    with pytest.raises(ServedModelError) as err:
        open_served(request(url, str(tmp_path / "abc123"), lora="vllm"))
    assert f"--lora-modules rvf-abc123={(tmp_path / 'abc123').resolve()}" in str(err.value)


def test_answers_come_in_input_order_with_usage_tokens_and_skips_kept(serve):
    script = Script(lora_adapters=None, delay=0.01)
    url = serve(script)
    gen = open_served(request(url, batch_size=2))
    saved, progress = [], []
    convs = [chat(f"q{i}") for i in range(5)]
    out = gen.generate(convs, on_batch=progress.append, skip={0, 1}, on_done=lambda idx, g: saved.append(idx))
    assert out[0] is None and out[1] is None  # a batch answered by an interrupted run is not asked again
    assert [g.text for g in out[2:]] == ["answer to q2", "answer to q3", "answer to q4"]
    assert (out[2].prompt_tokens, out[2].generated_tokens) == (7, 3)
    assert saved == [[2, 3], [4]] and progress == [2, 2, 1]
    assert len(script.chats) == 3 and script.most_in_flight <= 2


def test_an_unreachable_server_is_one_line(tmp_path):
    with pytest.raises(ServedModelError) as err:
        open_served(request("http://127.0.0.1:9/v1"))
    assert "unreachable" in str(err.value) and "\n" not in str(err.value)


def test_a_missing_base_url_is_one_line():
    with pytest.raises(ServedModelError, match="needs model.base_url"):
        open_served(GeneratorRequest("unused", None, "cpu", 16, 4, settings=ModelConfig(backend="openai")))


def test_load_levels_keep_that_many_requests_in_flight(serve):
    from rag_vs_ft.answering import load_levels

    script = Script(lora_adapters=None, delay=0.05)
    gen = open_served(request(serve(script), batch_size=1))

    class OneRequestArm:
        def answer(self, questions):
            return gen.generate([chat(q) for q in questions])

    levels = load_levels(OneRequestArm(), ["a", "b", "c"], [1, 4])
    assert [(lv["concurrency"], lv["requests"]) for lv in levels] == [(1, 3), (4, 4)]
    assert script.most_in_flight == 4  # the 4-level really had four requests at the server at once
    assert levels[1]["answers_per_s"] > levels[0]["answers_per_s"]  # concurrent requests overlap their waits
    assert all(lv["p95_s"] >= lv["p50_s"] >= 0.05 for lv in levels)


def test_served_addresses_key_answers_only_when_a_server_answers():
    hf = load_config(["model.base_url=http://a/v1"]).model.answer_settings()
    assert hf == load_config([]).model.answer_settings()  # hf ignores it: cached answers stay valid
    a = load_config(["model.backend=openai", "model.base_url=http://a/v1"]).model.answer_settings()
    b = load_config(["model.backend=openai", "model.base_url=http://b/v1", "model.concurrency=[2]"]).model.answer_settings()
    assert a["base_url"] != b["base_url"] and "concurrency" not in a


def test_bad_concurrency_is_a_one_line_config_error():
    from rag_vs_ft.config import ConfigError

    with pytest.raises(ConfigError, match="model.concurrency"):
        load_config(["model.concurrency=[0]"])
