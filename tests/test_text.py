"""text: the content words every layer reads a text by."""

from rag_vs_ft.text import STOPWORDS, SUPPORT_THRESHOLD, content_words


def test_content_words_drop_stopwords_and_short_words_but_keep_numbers():
    assert content_words("The GDPR's 72 hours: an EU rule, by Art. 5!") == ["gdpr", "72", "hours", "rule", "art", "5"]


def test_content_words_keep_order_and_repeats_and_split_on_any_non_alphanumeric():
    assert content_words("Data-breach data_breach DATA") == ["data", "breach", "data", "breach", "data"]
    assert content_words("") == [] and content_words("it is what it is") == []


def test_every_stopword_is_dropped_and_the_threshold_is_a_share():
    assert content_words(" ".join(sorted(STOPWORDS))) == []
    assert 0.0 < SUPPORT_THRESHOLD <= 1.0
