import faiss
import numpy as np
import pytest

from rag_vs_ft.config import ConfigError, RetrievalConfig, load_config
from rag_vs_ft.corpus.schema import Document
from rag_vs_ft.index import ann
from rag_vs_ft.index.retriever import index_key


def clustered(n: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    """A gaussian mixture, normalised like real embeddings: uniform random points would make every index look bad.
    The centres are fixed and `seed` draws the points, so queries come from the same mixture as the corpus (as
    real questions lie near the chunks that answer them)."""
    centres = np.random.default_rng(0).standard_normal((20, dim))
    rng = np.random.default_rng(seed + 1)
    x = centres[rng.integers(0, 20, n)] + 0.3 * rng.standard_normal((n, dim))
    x = x.astype("float32")
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def recall_at_10(index, exact, queries) -> float:
    _, truth = exact.search(queries, 10)
    _, got = index.search(queries, 10)
    return float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(truth, got)]))


@pytest.fixture(scope="module")
def data():
    x = clustered(5000)
    return x, clustered(200, seed=1)


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivf"])
def test_each_kind_builds_and_searches(data, kind):
    x, q = data
    ix = ann.build_index(x, kind, RetrievalConfig(index=kind))
    assert ix.ntotal == len(x)
    scores, ids = ix.search(q, 10)
    assert ids.shape == (len(q), 10) and (ids >= 0).all()
    assert np.all(np.diff(scores, axis=1) <= 1e-6)  # best first


def test_approximate_recall_against_flat(data):
    x, q = data
    exact = ann.build_index(x, "flat", None)
    assert recall_at_10(ann.build_index(x, "hnsw", RetrievalConfig(index="hnsw")), exact, q) >= 0.9
    lists = ann.ivf_lists(len(x))
    ivf = ann.build_index(x, "ivf", RetrievalConfig(index="ivf", ivf_nprobe=lists))
    assert recall_at_10(ivf, exact, q) == 1.0  # every list probed: an exhaustive scan


def test_search_knobs_trade_recall(data):
    # the knobs reach faiss: starved settings lose neighbours the default ones find
    x, q = data
    exact = ann.build_index(x, "flat", None)
    starved_ivf = ann.build_index(x, "ivf", RetrievalConfig(index="ivf", ivf_nprobe=1))
    starved_hnsw = ann.build_index(x, "hnsw", RetrievalConfig(index="hnsw", hnsw_m=4, ef_search=1))
    assert recall_at_10(starved_ivf, exact, q) < 0.8
    assert recall_at_10(starved_hnsw, exact, q) < 0.8


def test_factory_strings_and_list_bounds():
    rc = RetrievalConfig(hnsw_m=16)
    assert ann.factory_string("flat", 10, rc) == "Flat"
    assert ann.factory_string("hnsw", 10, rc) == "HNSW16"
    assert ann.factory_string("ivf", 1_000_000, rc) == "IVF4000,Flat"
    assert ann.ivf_lists(5000) == 5000 // 39  # 4*sqrt(5000)=283 would leave lists with under 39 vectors
    assert ann.ivf_lists(10) == 1


def test_kind_for_size():
    auto = RetrievalConfig()
    assert auto.index == "auto"
    assert ann.index_kind_for(ann.AUTO_APPROX_CHUNKS - 1, auto) == "flat"
    assert ann.index_kind_for(ann.AUTO_APPROX_CHUNKS, auto) == "hnsw"
    assert ann.index_kind_for(10, RetrievalConfig(index="ivf")) == "ivf"  # an explicit kind wins
    assert ann.index_kind_for(10**7, RetrievalConfig(index="flat")) == "flat"
    assert ann.index_kind_for(10**7, None) == "flat"  # no settings: the exact index as before


def test_flat_index_key_unchanged():
    docs = [Document(id="a", title="A", text="alpha"), Document(id="b", title="B", text="beta")]
    old = index_key(docs, 500, 50, "emb")
    assert index_key(docs, 500, 50, "emb", ann.build_params("flat", 2, RetrievalConfig(index="flat"))) == old
    hnsw = ann.build_params("hnsw", 2, RetrievalConfig(index="hnsw"))
    assert index_key(docs, 500, 50, "emb", hnsw) != old


def test_bogus_index_kind_rejected():
    with pytest.raises(ConfigError):
        load_config(["retrieval.index=bogus"])
    assert load_config(["retrieval.index=ivf"]).retrieval.index == "ivf"


@pytest.mark.parametrize("kind", ["hnsw", "ivf"])
def test_tuning_survives_write_and_read(data, tmp_path, kind):
    x, _ = data
    rc = RetrievalConfig(index=kind, ef_search=77, ivf_nprobe=5)
    path = str(tmp_path / "ix.faiss")
    faiss.write_index(ann.build_index(x, kind, rc), path)
    loaded = ann.tune(faiss.read_index(path), rc)
    if kind == "hnsw":
        assert faiss.downcast_index(loaded).hnsw.efSearch == 77
    else:
        assert faiss.extract_index_ivf(loaded).nprobe == 5
    # a loaded index takes new search settings without a rebuild
    ann.tune(loaded, RetrievalConfig(index=kind, ef_search=33, ivf_nprobe=3))
    if kind == "hnsw":
        assert faiss.downcast_index(loaded).hnsw.efSearch == 33
    else:
        assert faiss.extract_index_ivf(loaded).nprobe == 3
