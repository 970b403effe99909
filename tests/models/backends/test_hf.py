"""models.backends.hf: ChatGenerator's batching contract (batches planned by prompt length over all
conversations, results in input order, cut at the first end or pad token, fully skipped batches not generated)
on a scripted stand-in model, then the real backend — load, left padding, greedy decoding, a merged LoRA adapter
— on a tiny randomly initialised Llama saved to a temporary folder (tests/tiny_model.py; never the real LLM)."""

import pytest
import torch

from rag_vs_ft.models.backends.hf import ChatGenerator, load_generator
from rag_vs_ft.models.generator import open_generator
from tiny_model import save_tiny_model, tiny_tokenizer


def _conv(text):
    return [{"role": "user", "content": text}]


# prompt lengths, in tokens of the rendered chat: 'user : <content> assistant :' is 4 + the content's words
CONVS = [_conv("what is the deadline under rule one after notice ?"),  # 10 words
         _conv("who pays ?"),  # 3
         _conv("how long it takes ?"),  # 5
         _conv("rule ?")]  # 2


class ScriptedModel:
    """Stands in for a causal LM's generate(): its reply to a prompt of n real tokens is
    `answer <number word for n mod 10> <eos> ten`; records each batch's prompt lengths and attention masks."""

    device = torch.device("cpu")

    def __init__(self, tok):
        self.tok, self.batches = tok, []
        self.numbers = ["ten", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]

    def reply(self, n):
        return self.tok.convert_tokens_to_ids(["answer", self.numbers[n % 10]]) + [self.tok.eos_token_id,
                                                                                  self.tok.convert_tokens_to_ids("ten")]

    def generate(self, input_ids, attention_mask, max_new_tokens, do_sample, pad_token_id):
        assert do_sample is False and pad_token_id == self.tok.pad_token_id  # greedy, padding with the pad token
        lengths = attention_mask.sum(1).tolist()
        self.batches.append((lengths, attention_mask.clone()))
        new = torch.tensor([self.reply(n)[:max_new_tokens] for n in lengths])
        return torch.cat([input_ids, new], dim=1)


@pytest.fixture
def scripted():
    tok = tiny_tokenizer()
    tok.padding_side = "left"
    model = ScriptedModel(tok)
    return ChatGenerator(model, tok, max_new_tokens=8, batch_size=2), model


def test_batches_group_similar_lengths_and_results_keep_the_input_order(scripted):
    gen, model = scripted
    out = gen.generate(CONVS)
    lengths = [4 + 10, 4 + 3, 4 + 5, 4 + 2]
    assert [g.prompt_tokens for g in out] == lengths
    assert [b[0] for b in model.batches] == [[6, 7], [9, 14]]  # shortest two together, then the longest two
    numbers = model.numbers
    assert [g.text for g in out] == [f"answer {numbers[n % 10]}" for n in lengths]  # its own reply, in input order
    assert all(g.generated_tokens == 2 for g in out)  # cut at the end token: "ten" after it is dropped
    mask = model.batches[1][1]
    assert mask[0, :5].tolist() == [0] * 5 and mask[0, 5:].all()  # padded on the left, where it is unread
    assert out[1].latency_s == out[3].latency_s > 0  # a batch's time is shared by its answers


def test_a_pad_token_also_ends_the_answer(scripted):
    gen, model = scripted
    model.reply = lambda n: gen.tok.convert_tokens_to_ids(["answer", "two"]) + [gen.tok.pad_token_id, 5]
    assert [(g.text, g.generated_tokens) for g in gen.generate(CONVS[:1])] == [("answer two", 2)]


def test_max_new_tokens_caps_the_answer(scripted):
    gen, model = scripted
    gen.max_new_tokens = 1
    g, = gen.generate(CONVS[:1])
    assert (g.text, g.generated_tokens) == ("answer", 1)


def test_a_batch_whose_questions_are_all_done_is_not_generated(scripted):
    gen, model = scripted
    progress, done = [], []
    out = gen.generate(CONVS, on_batch=progress.append, skip={1, 3}, on_done=lambda i, g: done.append((i, g)))
    assert out[1] is None and out[3] is None and out[0] is not None and out[2] is not None
    assert [b[0] for b in model.batches] == [[9, 14]]  # only the second batch ran
    assert progress == [2, 2]  # the skipped batch still counts as progress
    assert [i for i, _ in done] == [[2, 0]] and done[0][1] == [out[2], out[0]]


def test_a_partly_done_batch_is_generated_whole(scripted):
    """Batches are planned over all conversations, so a resumed run regenerates a batch the same way."""
    gen, model = scripted
    done = []
    out = gen.generate(CONVS, skip={3}, on_done=lambda i, g: done.append(i))
    assert all(g is not None for g in out) and done == [[3, 1], [2, 0]]
    assert [b[0] for b in model.batches] == [[6, 7], [9, 14]]


# ------------------------------------------------------------------------------ the real backend, tiny model

@pytest.fixture(autouse=True)
def one_thread():
    """A tiny model gains nothing from threads, and two OpenMP threads on a busy 2-core machine (the rest of the
    suite running beside) can make a 50 ms generation take seconds."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    return save_tiny_model(tmp_path_factory.mktemp("tiny_llama") / "model", pad=False)


def test_the_hf_backend_loads_the_model_for_batched_greedy_answers(tiny_dir):
    gen = open_generator(str(tiny_dir), torch.float32, "cpu", 6, 2, backend="hf")
    assert isinstance(gen, ChatGenerator)
    assert gen.tok.padding_side == "left" and gen.tok.pad_token == gen.tok.eos_token  # pad added, padded left
    assert not gen.model.training and gen.model.dtype == torch.float32
    first = gen.generate(CONVS)
    assert all(0 <= g.generated_tokens <= 6 and isinstance(g.text, str) for g in first)
    assert sum(g.generated_tokens for g in first) > 0  # else the comparisons below compare nothing
    assert [g.prompt_tokens for g in first] == [14, 7, 9, 6]
    assert [g.text for g in gen.generate(CONVS)] == [g.text for g in first]  # greedy: the same answers again
    alone = [gen.generate([c])[0] for c in CONVS]  # one at a time, no padding at all
    assert [(g.text, g.generated_tokens) for g in alone] == [(g.text, g.generated_tokens) for g in first]


def test_a_lora_adapter_is_merged_into_the_base_weights(tiny_dir, tmp_path):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(tiny_dir, dtype=torch.float32)
    torch.manual_seed(1)
    peft_model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"],
                                                 init_lora_weights=False))  # random B: the adapter changes weights
    peft_model.save_pretrained(tmp_path / "adapter")
    expected = peft_model.merge_and_unload().state_dict()

    merged, tok = load_generator(str(tiny_dir), torch.float32, "cpu", adapter_dir=str(tmp_path / "adapter"))
    plain, _ = load_generator(str(tiny_dir), torch.float32, "cpu")
    assert tok.padding_side == "left"
    assert not any("lora" in name for name in merged.state_dict())  # merged and unloaded: a plain model
    key = "model.layers.0.self_attn.q_proj.weight"
    assert torch.allclose(merged.state_dict()[key], expected[key])
    assert not torch.allclose(merged.state_dict()[key], plain.state_dict()[key])
    assert torch.equal(merged.state_dict()["model.layers.0.self_attn.k_proj.weight"],
                       plain.state_dict()["model.layers.0.self_attn.k_proj.weight"])  # not a target: untouched


# ------------------------------------------------------------------------------ shared-prefix reuse

def test_the_shared_prefix_leaves_every_row_a_token_of_its_own():
    from rag_vs_ft.models.backends.hf import shared_prefix_length

    assert shared_prefix_length([[1, 2, 3, 4], [1, 2, 3, 9], [1, 2, 3, 4, 5]]) == 3
    assert shared_prefix_length([[1, 2, 3], [1, 2, 3, 4]]) == 2  # the shorter row keeps its last token
    assert shared_prefix_length([[7, 2], [1, 2]]) == 0
    assert shared_prefix_length([[5, 6, 7], [5, 6, 7]]) == 2


LONG_SYSTEM = " ".join(["what is the deadline under rule one after notice ?"] * 4)  # 40 words, all shared


def _with_system(text):
    return [{"role": "system", "content": LONG_SYSTEM}, {"role": "user", "content": text}]


def test_a_shared_prefix_is_prefilled_once_and_rows_see_it_at_the_right_positions(tiny_dir):
    gen = open_generator(str(tiny_dir), torch.float32, "cpu", 6, 4, backend="hf")
    convs = [_with_system(c[0]["content"]) for c in CONVS]
    calls = []
    real = gen.model.generate

    def spy(**kw):  # the cache as generate() gets it (it grows as tokens are generated)
        cache = kw["past_key_values"]
        calls.append({**kw, "cached": cache.get_seq_length(), "rows": cache.layers[0].keys.shape[0]})
        return real(**kw)

    gen.model.generate = spy
    reused = gen.generate(convs)
    (kw,) = calls
    shared = kw["cached"]
    assert shared >= 40 and kw["rows"] == 4  # the system turn, computed once, its cache copied to every row
    mask = kw["attention_mask"]
    own = sorted(g.prompt_tokens - shared for g in reused)  # the batch runs shortest first
    for row, n in zip(mask.tolist(), own):  # [shared prefix][padding][own tokens]
        assert row == [1] * shared + [0] * (mask.shape[1] - shared - n) + [1] * n
    gen.model.generate = real
    gen.prefix_cache = False
    full = gen.generate(convs)
    assert [(g.text, g.generated_tokens) for g in reused] == [(g.text, g.generated_tokens) for g in full]


def test_reusing_the_prefix_gives_the_real_model_the_same_tokens_in_fp32(base_model_path, legal):
    """SmolLM2 on eight legal questions with the prompt arm's six few-shot examples: the same greedy tokens with
    and without reuse (in bf16 any change of batch shape already moves rounding: see benchmarks/prefix_cache.py)."""
    from rag_vs_ft.corpus.splits import few_shot_examples
    from rag_vs_ft.models.prompts import closed_book_messages

    questions = sorted(legal.questions, key=lambda q: q.id)
    examples, asked = few_shot_examples(questions[:40], 6), questions[40:48]
    convs = [closed_book_messages(q, examples) for q in asked]
    gen = open_generator(base_model_path, torch.float32, "cpu", 24, 8, backend="hf")
    reused = gen.generate(convs)
    gen.prefix_cache = False
    full = gen.generate(convs)
    assert sum(g.generated_tokens for g in full) > 8 * 5  # real answers, not empty ones
    assert [(g.text, g.generated_tokens) for g in reused] == [(g.text, g.generated_tokens) for g in full]
