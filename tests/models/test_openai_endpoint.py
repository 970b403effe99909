"""Which openai exceptions make an OpenAI-compatible endpoint unusable, and the one line that says so."""

from __future__ import annotations

import httpx
import openai
import pytest

from rag_vs_ft.models.openai_endpoint import endpoint_failure

WHERE, ENV, MODEL = "judge at http://127.0.0.1:9/v1", "MY_KEY_ENV", "some-model"
REQUEST = httpx.Request("POST", "http://127.0.0.1:9/v1/chat/completions")


def status_error(cls: type[openai.APIStatusError], code: int) -> openai.APIStatusError:
    return cls("no", response=httpx.Response(code, request=REQUEST), body=None)


def connection_error() -> openai.APIConnectionError:
    try:
        try:
            raise httpx.ConnectError("refused")
        except httpx.ConnectError as cause:
            raise openai.APIConnectionError(request=REQUEST) from cause
    except openai.APIConnectionError as exc:
        return exc


def failure(exc: Exception, **modes) -> str | None:
    return endpoint_failure(exc, WHERE, ENV, MODEL, **modes)


def test_unreachable_names_the_endpoint_and_the_cause():
    assert failure(connection_error()) == f"{WHERE} is unreachable (ConnectError); is the server running?"


@pytest.mark.parametrize("cls, code", [(openai.AuthenticationError, 401), (openai.PermissionDeniedError, 403)])
def test_a_rejected_key_names_its_variable_and_the_status(cls, code):
    message = failure(status_error(cls, code))
    assert message == f"{WHERE} rejected the API key from ${ENV} (HTTP {code})"


def test_a_404_is_a_wrong_model_unless_told_otherwise():
    exc = status_error(openai.NotFoundError, 404)
    assert failure(exc) == f"{WHERE} answered 404 for model {MODEL!r}: wrong model name or base_url"
    assert failure(exc, missing_model_is_fatal=False) is None


def test_a_timeout_costs_one_call_unless_told_otherwise():
    exc = openai.APITimeoutError(request=REQUEST)
    assert failure(exc) is None
    assert failure(exc, timeout_is_fatal=True) == f"{WHERE} is unreachable (APITimeoutError); is the server running?"


@pytest.mark.parametrize("exc", [status_error(openai.RateLimitError, 429), status_error(openai.BadRequestError, 400),
                                 status_error(openai.InternalServerError, 500), ValueError("bad JSON")])
def test_anything_else_costs_one_call(exc):
    assert failure(exc, timeout_is_fatal=True) is None


def test_an_endpoint_builds_its_clients_with_the_key_from_its_variable(monkeypatch):
    from rag_vs_ft.models.openai_endpoint import NO_KEY, Endpoint

    ep = Endpoint("http://127.0.0.1:9/v1", MODEL, ENV, "served model", timeout_s=7.0)
    monkeypatch.delenv(ENV, raising=False)
    assert ep.client().api_key == NO_KEY  # a local server takes any key; the client refuses an empty one
    monkeypatch.setenv(ENV, "sk-secret")
    client, aclient = ep.client(), ep.async_client()
    assert client.api_key == aclient.api_key == "sk-secret"
    assert str(client.base_url).rstrip("/") == "http://127.0.0.1:9/v1" and client.timeout == 7.0
    message = ep.failure(connection_error())
    assert message.startswith("served model at http://127.0.0.1:9/v1 is unreachable") and "sk-secret" not in message
