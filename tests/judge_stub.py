"""A tiny OpenAI-compatible server for the judge tests: stdlib only, deterministic, records every request.

It reads the `input: {...}` block ragas' prompts end with and answers the step it recognises:
  {"question", "answer"}       -> statement extraction: {"statements": [one per sentence]}
  {"response", "atomicity"...} -> claim decomposition:  {"claims": [one per sentence]}
  {"context", "statements"}    -> NLI verdicts: 1 when the statement occurs verbatim (case-insensitively) in the context
so a test can compute the expected faithfulness / factual correctness by hand. mode="garbage" answers prose,
mode="unauthorized" answers every request with HTTP 401 like an API that rejects the key.
"""

from __future__ import annotations

import json
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Stub:
    base_url: str
    mode: str = "oracle"
    requests: list[dict] = field(default_factory=list)  # {"method", "path", "headers", "body"}

    def chat_requests(self) -> list[dict]:
        return [r for r in self.requests if r["path"].endswith("/chat/completions")]


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def _norm(text: str) -> str:
    return " ".join(text.lower().split()).rstrip(".!? ")


def _prompt_input(body: dict) -> dict:
    """The JSON object after the last 'input: ' of the user message (ragas' few-shot prompts end with it)."""
    user = next(m["content"] for m in body["messages"] if m["role"] == "user")  # the first: later ones are re-asks
    start = user.rindex("\ninput: ") + len("\ninput: ")
    return json.JSONDecoder().raw_decode(user[start:])[0]


def answer(body: dict, mode: str) -> str:
    if mode == "garbage":
        return "Sorry, as a stub I can only say that this looks fine to me."
    inp = _prompt_input(body)
    if "context" in inp and "statements" in inp:
        ctx = _norm(inp["context"])
        out = {"statements": [{"statement": s, "reason": "stub: verbatim match" if _norm(s) in ctx else "stub: absent",
                               "verdict": int(_norm(s) in ctx)} for s in inp["statements"]]}
    elif "question" in inp and "answer" in inp:
        out = {"statements": _sentences(inp["answer"])}
    elif "response" in inp:
        out = {"claims": _sentences(inp["response"])}
    else:
        raise ValueError(f"stub does not know this prompt input: {sorted(inp)}")
    return json.dumps(out)


def _handler(stub: Stub):
    class Handler(BaseHTTPRequestHandler):
        def _record(self, body) -> None:
            stub.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                  "body": body})

        def _send(self, status: int, payload: dict) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _unauthorized(self) -> bool:
            if stub.mode == "unauthorized":
                self._send(401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error",
                                           "code": "invalid_api_key"}})
            return stub.mode == "unauthorized"

        def do_GET(self):
            self._record(None)
            if self._unauthorized():
                return
            if self.path.endswith("/models"):
                return self._send(200, {"object": "list", "data": [
                    {"id": "stub-judge", "object": "model", "created": 0, "owned_by": "stub"}]})
            self._send(404, {"error": {"message": "not found"}})

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            self._record(body)
            if self._unauthorized():
                return
            if not self.path.endswith("/chat/completions"):
                return self._send(404, {"error": {"message": "not found"}})
            content = answer(body, stub.mode)
            self._send(200, {
                "id": f"chatcmpl-stub-{len(stub.requests)}", "object": "chat.completion", "created": 0,
                "model": body.get("model"),
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": content}}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            })

        def log_message(self, *args):  # keep test output quiet
            pass

    return Handler


@contextmanager
def serve_stub(mode: str = "oracle"):
    """Serve on 127.0.0.1 at a free port in a background thread; yields the Stub (base_url ends in /v1)."""
    stub = Stub(base_url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stub))
    stub.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    stub.mode = mode
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
