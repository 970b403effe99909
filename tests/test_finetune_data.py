from rag_vs_ft.corpus.schema import Document, QAItem
from rag_vs_ft.finetune.data import IGNORE, build_examples, collate, encode_qa, length_grouped_batches
from rag_vs_ft.models.generator import load_tokenizer


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
    examples = build_examples(tok, docs, [], piece_chars=300, max_length=32)
    assert len(examples) > 1
    assert all(len(e.input_ids) <= 32 and e.labels == e.input_ids for e in examples)


def test_dynamic_padding_and_grouping(base_model_path):
    tok = load_tokenizer(base_model_path)
    docs = [Document(f"d{i}", "T", "word " * (10 + 40 * i)) for i in range(6)]
    examples = build_examples(tok, docs, [], piece_chars=2000, max_length=256)
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
