"""A tiny randomly initialised Llama and a word-level tokenizer with a chat template, built offline in a few
hundred milliseconds: for tests of the generator backends and tokenizer loading that must not load the real LLM."""

from pathlib import Path

WORDS = ["user", "system", "assistant", ":", "?", ".", "what", "is", "the", "deadline", "under", "rule", "days",
         "after", "notice", "who", "pays", "a", "an", "answer", "one", "two", "three", "four", "five", "six",
         "seven", "eight", "nine", "ten", "question", "how", "long", "it", "takes"]
SPECIAL = ["<pad>", "<eos>", "<unk>"]
CHAT_TEMPLATE = ("{% for m in messages %}{{ m['role'] }} : {{ m['content'] }} {% endfor %}"
                 "{% if add_generation_prompt %}assistant :{% endif %}")


def tiny_tokenizer(pad: bool = True):
    """Whitespace word-level tokenizer over WORDS; `pad=False` leaves the pad token unset (as many chat models do)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {w: i for i, w in enumerate(SPECIAL + WORDS)}
    raw = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    raw.pre_tokenizer = pre_tokenizers.Whitespace()
    raw.decoder = decoders.WordPiece()  # joins words with spaces
    tok = PreTrainedTokenizerFast(tokenizer_object=raw, eos_token="<eos>", unk_token="<unk>",
                                  **({"pad_token": "<pad>"} if pad else {}))
    tok.chat_template = CHAT_TEMPLATE
    return tok


def tiny_llama(vocab_size: int, seed: int = 0):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                      bos_token_id=None, eos_token_id=1, pad_token_id=0, tie_word_embeddings=False)
    return LlamaForCausalLM(cfg).eval()


def save_tiny_tokenizer(directory: Path, pad: bool = True) -> Path:
    """A directory AutoTokenizer loads (no model: the modelling code is not even imported)."""
    tiny_tokenizer(pad).save_pretrained(directory)
    return directory


def save_tiny_model(directory: Path, pad: bool = True) -> Path:
    """A loadable model directory (config, weights, tokenizer with its chat template)."""
    tok = tiny_tokenizer(pad)
    tiny_llama(len(tok)).save_pretrained(directory)
    tok.save_pretrained(directory)
    return directory
