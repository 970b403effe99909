"""When an OpenAI-compatible endpoint cannot be used at all, and the one line that says why.

Synthesis (synth/llm.py) and the LLM judge (evaluation/judge.py) both talk to such an endpoint and both stop
the run on the same failures: unreachable, key rejected, unknown model. Any other error costs one reply. The
message names the endpoint and the environment variable holding the key, never the key itself; each caller
raises it as its own error class.
"""

from __future__ import annotations


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
