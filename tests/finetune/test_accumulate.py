"""finetune.accumulate: a step in several forward/backward passes gives the one-pass gradient (weighted by
answer tokens), on a tiny randomly initialised Llama in fp32; the unweighted mean of the passes does not."""

import torch

from rag_vs_ft.finetune.accumulate import accumulate_step, passes
from rag_vs_ft.finetune.data import Example, collate
from rag_vs_ft.finetune.qlora import answer_loss
from tiny_model import tiny_llama


def _row(n: int, answer: int, start: int = 3) -> Example:
    ids = [(start + 5 * i) % 30 + 3 for i in range(n)]
    return Example(ids, [-100] * (n - answer) + ids[n - answer:], "qa")


def test_passes_hold_at_most_the_token_cap_and_keep_the_order():
    rows = [_row(n, 2) for n in (5, 4, 3, 9, 2)]
    groups = passes(rows, 8)
    assert [[len(r.input_ids) for r in g] for g in groups] == [[5], [4, 3], [9], [2]]  # a long row goes alone
    assert [r for g in groups for r in g] == rows
    assert passes(rows, None) == [rows]


def _grads(model, rows, max_tokens, weighted=True):
    model.zero_grad(set_to_none=True)
    if weighted:
        loss = accumulate_step(model, rows, max_tokens, 0, "cpu", answer_loss, collate)
    else:  # the naive accumulation: every pass's mean counts alike, whatever its number of answer tokens
        groups = passes(rows, max_tokens)
        loss = sum(answer_loss(model, collate(g, 0)) / len(groups) for g in groups)
        loss.backward()
    return float(loss), torch.cat([p.grad.reshape(-1) for p in model.parameters() if p.grad is not None])


def test_the_step_in_passes_has_the_gradient_and_loss_of_the_step_at_once():
    torch.manual_seed(0)
    model = tiny_llama(40).train()
    rows = [_row(12, 2, 1), _row(10, 7, 2), _row(11, 1, 4), _row(9, 5, 6)]  # unequal answer lengths
    loss_one, g_one = _grads(model, rows, None)
    loss_split, g_split = _grads(model, rows, 12)  # one row per pass
    assert len(passes(rows, 12)) == 4
    assert abs(loss_one - loss_split) < 1e-5
    assert torch.allclose(g_one, g_split, rtol=1e-4, atol=1e-6)
    _, g_naive = _grads(model, rows, 12, weighted=False)  # negative control: the tolerance above can fail
    assert not torch.allclose(g_one, g_naive, rtol=1e-4, atol=1e-6)


def test_a_row_longer_than_the_cap_is_checkpointed_with_the_same_gradient():
    from transformers.modeling_layers import GradientCheckpointingLayer

    torch.manual_seed(0)
    model = tiny_llama(40).train()
    layers = [m for m in model.modules() if isinstance(m, GradientCheckpointingLayer)]
    calls = []
    for m in layers:  # inside the layer: a recompute calls the layer's forward, not the hooks around it
        m.self_attn.register_forward_pre_hook(lambda mod, args: calls.append(mod))
    rows = [_row(20, 6)]
    _, g_plain = _grads(model, rows, None)
    plain_calls, calls[:] = len(calls), []
    _, g_checkpointed = _grads(model, rows, 8)  # 20 tokens > 8: one pass, checkpointed
    assert plain_calls == len(layers) and len(calls) == 2 * len(layers)  # each layer recomputed in backward
    assert torch.allclose(g_plain, g_checkpointed, rtol=1e-5, atol=1e-7)
    assert not any(m.gradient_checkpointing for m in layers)  # off again after the pass
