import pytest

from rag_vs_ft.corpus.schema import Document, QAItem
from rag_vs_ft.finetune.data import IGNORE, collate, document_pieces, encode_document, encode_qa, length_grouped_batches
from rag_vs_ft.models.generator import load_tokenizer
from tiny_docs import rules as _rules


def test_qa_loss_is_on_answer_tokens_only(base_model_path):
    tok = load_tokenizer(base_model_path)
    q = QAItem("q", "Within how many hours must a breach be notified?", "Within 72 hours.", ("d",), True, "a")
    ex = encode_qa(tok, q, 256)
    supervised = [t for t, label in zip(ex.input_ids, ex.labels) if label != IGNORE]
    text = tok.decode(supervised)
    assert "72 hours" in text and "breach" not in text
    assert ex.labels[0] == IGNORE


def test_documents_are_supervised_everywhere_and_truncated(base_model_path):
    tok = load_tokenizer(base_model_path)
    docs = [Document("d", "Title", "word " * 400)]
    examples = [encode_document(tok, t, 32) for t in document_pieces(docs, 300)]
    assert len(examples) > 1
    assert all(len(e.input_ids) <= 32 and e.labels == e.input_ids for e in examples)


def test_dynamic_padding_and_grouping(base_model_path):
    tok = load_tokenizer(base_model_path)
    docs = [Document(f"d{i}", "T", "word " * (10 + 40 * i)) for i in range(6)]
    examples = [encode_document(tok, t, 256) for t in document_pieces(docs, 2000)]
    batches = length_grouped_batches(examples, 2, seed=0)
    assert sorted(id(e) for b in batches for e in b) == sorted(id(e) for e in examples)
    for b in batches:
        t = collate(b, tok.pad_token_id)
        assert t["input_ids"].shape[1] == max(len(e.input_ids) for e in b)  # padded to the batch, not to 256
        assert int(t["attention_mask"].sum()) == sum(len(e.input_ids) for e in b)
        assert (t["labels"][t["attention_mask"] == 0] == IGNORE).all()


def test_early_stopping_fires_on_a_rising_dev_loss_and_keeps_the_best():
    from rag_vs_ft.finetune.qlora import EarlyStopping

    stopper = EarlyStopping(patience=2)
    losses = [2.0, 1.5, 1.2, 1.3, 1.4, 1.1]  # falls, then rises twice: training stops before the late dip
    stopped_at = next(step for step, loss in enumerate(losses)
                      if stopper.update(step, loss, lambda step=step: {"step": step}))
    assert stopped_at == 4 and stopper.best == 1.2 and stopper.best_step == 2 and stopper.state == {"step": 2}


def test_packing_keeps_labels_aligned_and_examples_apart():
    """A packed batch gives the same loss as its examples one by one: labels line up with their tokens and no
    example attends to its neighbour (a tiny random model, built here)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from rag_vs_ft.finetune.data import Example, pack

    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                         num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=64))
    model.eval()
    gen = torch.Generator().manual_seed(1)
    examples = []
    for n, answer_from in [(9, 0), (5, 3), (12, 6), (4, 0), (7, 5), (3, 1)]:
        ids = torch.randint(1, 64, (n,), generator=gen).tolist()
        examples.append(Example(ids, [IGNORE] * answer_from + ids[answer_from:], "qa"))
    packed = pack(examples, max_length=16)
    assert len(packed) < len(examples) and all(len(p.input_ids) <= 16 for p in packed)
    # every example sits in exactly one row, its tokens and labels intact but for the unpredicted first token
    segments = []
    for p in packed:
        starts = [i for i, pos in enumerate(p.position_ids) if pos == 0] + [len(p.input_ids)]
        segments += [(p.input_ids[a:b], p.labels[a:b]) for a, b in zip(starts, starts[1:])]
    assert sorted(segments) == sorted((e.input_ids, [IGNORE] + e.labels[1:]) for e in examples)

    def loss_sum(batch):
        with torch.no_grad():
            b = collate(batch, pad_id=0)
            n = int((b["labels"][:, 1:] != IGNORE).sum())
            return float(model(**b, use_cache=False).loss) * n, n  # a cache would switch off packing masks

    one_by_one = [loss_sum([e]) for e in examples]
    packed_sum, packed_n = loss_sum(packed)
    assert packed_n == sum(n for _, n in one_by_one)
    assert packed_sum / packed_n == pytest.approx(sum(s for s, _ in one_by_one) / packed_n, rel=1e-5)


def test_packed_training_completes_an_epoch_in_fewer_steps(base_model_path, tmp_path):
    import math

    import torch

    from rag_vs_ft.config import FinetuneConfig
    from rag_vs_ft.finetune.qlora import train_adapter
    from rag_vs_ft.finetune.recipes.closed_book import closed_book_set

    docs, qa = _rules(6)
    cfg = FinetuneConfig(method="lora", packing=True, epochs=1.0, batch_size=2, max_length=128, eval_every=1,
                         patience=5, learning_rate=1e-3, doc_chunk_chars=200, documents=True, generated_qa=False)
    tset = closed_book_set(load_tokenizer(base_model_path), docs, qa, qa[:3], cfg, budget=None)
    assert tset.sources == {"train QA": 6, "document piece": 6}
    res = train_adapter(base_model_path, {"name": "t"}, tset, cfg, 0, "cpu", torch.float32, tmp_path)
    assert res.examples_total == 12 and res.examples_seen == 12 and res.epochs_done == 1.0
    assert res.steps < math.ceil(12 / cfg.batch_size)  # several examples per row
    assert res.tokens_seen > 0 and res.best_dev_loss < res.dev_loss_start and res.best_step is not None
    # the memory estimate's batch is a pass (256 tokens on a CPU in fp32 by default), not the whole step
    assert 1 <= res.rows_per_pass <= res.rows_per_step and (res.rows_per_pass == 1 or
                                                             res.rows_per_pass * res.row_tokens <= 256)


def test_early_stopping_fires_at_the_default_settings_and_keeps_the_best_adapter(base_model_path, tmp_path,
                                                                                   monkeypatch):
    """Default epochs, evaluation interval and patience, a dev loss that rises after its first evaluation:
    training stops after the first epoch (not before: some examples would never have been seen), and the saved
    adapter is the one from the best evaluation, not the last."""
    import torch
    from safetensors.torch import load_file

    import rag_vs_ft.finetune.qlora as qlora
    from rag_vs_ft.config import FinetuneConfig
    from rag_vs_ft.finetune.recipes.closed_book import closed_book_set

    docs, qa = _rules(24)
    defaults = FinetuneConfig()
    cfg = FinetuneConfig(method="lora", learning_rate=5e-3, generated_qa=False)  # defaults otherwise
    assert (cfg.epochs, cfg.eval_every, cfg.patience, cfg.max_steps) == (defaults.epochs, None, defaults.patience, None)
    tset = closed_book_set(load_tokenizer(base_model_path), docs, qa, qa[:2], cfg, budget=None)
    seen: list[dict] = []
    rising = iter([3.0, 2.0] + [2.5 + i / 10 for i in range(100)])  # start, best at the first evaluation, then up

    def fake_dev_loss(model, *args):
        seen.append({k: v.detach().clone() for k, v in model.state_dict().items() if "lora_" in k})
        return next(rising)

    monkeypatch.setattr(qlora, "mean_loss", fake_dev_loss)
    res = qlora.train_adapter(base_model_path, {"name": "t"}, tset, cfg, 0, "cpu", torch.float32, tmp_path)
    evals = [s for s, _ in res.dev_loss]
    assert res.stopped_early and res.steps < res.planned_steps and res.epochs_done >= 1.0
    assert res.best_step == evals[0] and res.best_dev_loss == 2.0 and res.dev_loss_start == 3.0
    saved = load_file(str(tmp_path / "adapters" / res.key / "adapter_model.safetensors"))
    best, last = seen[1], seen[-1]  # seen[0] is the start, before any step
    name = next(k for k in best if "lora_B" in k)
    saved_name = next(k for k in saved if k.replace(".weight", "") in name.replace(".default", ""))
    assert torch.equal(saved[saved_name], best[name]) and not torch.equal(saved[saved_name], last[name])


def test_a_step_cap_below_one_epoch_leaves_the_adapter_undertrained(base_model_path, tmp_path):
    import torch

    from rag_vs_ft.config import FinetuneConfig
    from rag_vs_ft.finetune.qlora import train_adapter
    from rag_vs_ft.finetune.recipes.closed_book import closed_book_set

    docs, qa = _rules(24)
    cfg = FinetuneConfig(method="lora", max_steps=1, batch_size=1, packing=False, generated_qa=False)
    tset = closed_book_set(load_tokenizer(base_model_path), docs, qa, [], cfg, budget=None)
    res = train_adapter(base_model_path, {"name": "t"}, tset, cfg, 0, "cpu", torch.float32, tmp_path)
    assert res.steps == 1 and res.epochs_done < 1.0 and not res.stopped_early


def test_answer_loss_equals_the_full_logits_loss_with_the_same_gradients():
    """The head is applied only where a label is predicted; the loss and every gradient match the full path."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from rag_vs_ft.finetune.data import Example, pack
    from rag_vs_ft.finetune.qlora import answer_loss

    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                         num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=64))
    gen = torch.Generator().manual_seed(2)
    examples = []
    for n in (7, 11, 5, 9):
        ids = torch.randint(3, 64, (n,), generator=gen).tolist()
        examples.append(Example(ids, [IGNORE] * (n - 3) + ids[-3:], "qa"))  # loss on the last 3 tokens only
    for rows in (examples, pack(examples, 32)):
        batch = collate(rows, 0)
        grads = []
        for loss_fn in (lambda: model(**batch, use_cache=False).loss, lambda: answer_loss(model, batch)):
            model.zero_grad()
            loss = loss_fn()
            loss.backward()
            grads.append((loss.item(), [p.grad.clone() for p in model.parameters()]))
        assert grads[0][0] == pytest.approx(grads[1][0], rel=1e-5)
        assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(grads[0][1], grads[1][1]))
