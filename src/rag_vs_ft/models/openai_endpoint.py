"""The one OpenAI-compatible client of the project: the served generator backend (models/backends/openai.py),
the synthetic-question writer (synth/llm.py) and the LLM judge (evaluation/judge.py) all reach their endpoint
through an `Endpoint` — one way to build the client, one way to read the key, one mapping of failures.

An endpoint is unusable (unreachable, key rejected, unknown model) and the run stops with one line that names
the endpoint and the environment variable holding the key, never the key itself; any other error costs one
reply. Each caller raises that line as its own error class.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

NO_KEY = "not-needed"  # local servers take any key; the OpenAI client refuses an empty one


@dataclass(frozen=True)
class Endpoint:
    base_url: str
    model: str
    api_key_env: str
    role: str  # what the endpoint is for, in messages: "LLM judge", "synthesis endpoint", "served model"
    timeout_s: float = 120.0
    max_retries: int = 1

    @property
    def where(self) -> str:
        return f"{self.role} at {self.base_url}"

    def _key(self) -> str:
        # read at call time and kept only in the client: never logged, stored or returned
        return os.environ.get(self.api_key_env) or NO_KEY

    def client(self):
        from openai import OpenAI

        return OpenAI(base_url=self.base_url, api_key=self._key(), timeout=self.timeout_s,
                      max_retries=self.max_retries)

    def async_client(self):
        from openai import AsyncOpenAI

        return AsyncOpenAI(base_url=self.base_url, api_key=self._key(), timeout=self.timeout_s,
                           max_retries=self.max_retries)

    def failure(self, exc: Exception, *, timeout_is_fatal: bool = False,
                missing_model_is_fatal: bool = True) -> str | None:
        return endpoint_failure(exc, self.where, self.api_key_env, self.model, timeout_is_fatal=timeout_is_fatal,
                                missing_model_is_fatal=missing_model_is_fatal)


def endpoint_failure(exc: Exception, where: str, api_key_env: str, model: str, *,
                     timeout_is_fatal: bool = False, missing_model_is_fatal: bool = True) -> str | None:
    """The one-line reason `exc` (an `openai` exception) makes the endpoint `where` unusable, or None when it
    costs only the call that raised it. A timeout is one slow answer unless `timeout_is_fatal` (then it reads
    as unreachable); a 404 means a wrong model name unless not `missing_model_is_fatal` (a server without the
    route asked for)."""
    import openai

    if isinstance(exc, openai.APITimeoutError) and not timeout_is_fatal:
        return None
    if isinstance(exc, openai.APIConnectionError):  # APITimeoutError is one too
        return f"{where} is unreachable ({type(exc.__cause__ or exc).__name__}); is the server running?"
    if isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
        return f"{where} rejected the API key from ${api_key_env} (HTTP {exc.status_code})"
    if isinstance(exc, openai.NotFoundError) and missing_model_is_fatal:
        return f"{where} answered 404 for model {model!r}: wrong model name or base_url"
    return None
