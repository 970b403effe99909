"""models.backends.registry: `hf` is registered; an unknown `model.backend` is a one-line ConfigError naming the
key and the choices; a toy backend registered with `register()` is what `open_generator(..., backend=NAME)`
returns, given every field of the request (toy backends are removed afterwards: the registry is module-global)."""

import pytest
import torch

from rag_vs_ft.config import ConfigError
from rag_vs_ft.models.backends import registry
from rag_vs_ft.models.backends.registry import Backend, GeneratorRequest, backend_named, register, registered
from rag_vs_ft.models.generator import open_generator


@pytest.fixture
def toy_backend():
    requests = []

    class ToyGenerator:
        def __init__(self, req):
            self.req = req

        def generate(self, conversations, on_batch=None, skip=frozenset(), on_done=None):
            return [None] * len(conversations)

    def open_(req: GeneratorRequest):
        requests.append(req)
        return ToyGenerator(req)

    backend = register(Backend("toy", "a toy backend", open_))
    yield backend, requests
    registry._BACKENDS._items.pop("toy", None)


def test_hf_is_registered():
    from rag_vs_ft.models.backends.hf import open_in_process

    known = registered()
    assert "hf" in known and known["hf"].open is open_in_process
    assert known["hf"].summary and "\n" not in known["hf"].summary
    assert backend_named("hf") is known["hf"]
    assert list(known) == sorted(known)


def test_the_default_backend_is_registered():
    from rag_vs_ft.config import ModelConfig

    assert ModelConfig().backend in registered()


def test_an_unknown_backend_is_a_one_line_config_error_naming_the_key_and_the_choices():
    with pytest.raises(ConfigError) as exc:
        backend_named("vllm-please")
    message = str(exc.value)
    assert message.startswith("model.backend: unknown generator backend 'vllm-please'; choose from ")
    assert "hf" in message.split("choose from ")[1].split(", ")
    assert "\n" not in message


def test_open_generator_returns_what_the_named_backend_opens(toy_backend):
    backend, requests = toy_backend
    gen = open_generator("/models/base", torch.bfloat16, "cpu", 17, 3, True, "/adapters/a1", backend="toy")
    assert requests == [GeneratorRequest("/models/base", torch.bfloat16, "cpu", 17, 3, True, "/adapters/a1")]
    assert gen.req is requests[0]
    assert backend_named("toy") is backend


def test_a_request_without_an_adapter_says_so(toy_backend):
    _, requests = toy_backend
    open_generator("/models/base", torch.float32, "cpu", 8, 2, backend="toy")
    assert requests[0].adapter_dir is None and requests[0].trust_remote_code is False


def test_another_backend_under_a_taken_name_is_refused(toy_backend):
    backend, _ = toy_backend
    assert register(backend) is backend  # the same one again (a module imported twice) is fine
    with pytest.raises(ValueError, match="two generator backends are registered as 'hf'"):
        register(Backend("hf", "mine", lambda req: None))


def test_toy_backends_do_not_outlive_their_test():
    with pytest.raises(ConfigError, match="'toy'"):
        backend_named("toy")
