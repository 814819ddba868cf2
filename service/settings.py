"""Settings from the environment: the one place that reads the ``KAVOSH_*`` variables.

The CLI (whose options override them), the web UI and the service all start from :meth:`Settings.from_env`:

============================  ==========================================================================
``KAVOSH_STORE``              the embedded store's directory (default ``$XDG_DATA_HOME/kavosh``)
``KAVOSH_ES_URL``             use this Elasticsearch cluster instead of the embedded store
``KAVOSH_ES_API_KEY``,        Elasticsearch credentials and options
``KAVOSH_ES_USER``,
``KAVOSH_ES_PASSWORD``,
``KAVOSH_ES_CA_CERTS``,
``KAVOSH_ES_INDEX``
``KAVOSH_READER``             ``auto`` (Kavosh's reader), ``kavosh``, ``offline`` or ``transformer`` (the web UI's)
``KAVOSH_UPLOAD_MAX_MB``      the web UI's upload limit per file (default 50)
``KAVOSH_UI_WARMUP``          ``0`` turns off loading models when the web UI starts
``KAVOSH_EVAL_CACHE``         where ``kavosh eval`` keeps embeddings (default ``$XDG_CACHE_HOME/kavosh-eval``)
============================  ==========================================================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

__all__ = ["DEFAULT_UPLOAD_MAX_MB", "ES_OPTION_VARIABLES", "Settings", "default_store_path"]

DEFAULT_UPLOAD_MAX_MB = 50  # the loaders' own per-file limit (kavosh.indexer.loaders.DEFAULT_MAX_BYTES)
READERS = ("auto", "kavosh", "offline", "transformer")

#: Elasticsearch connection options and the variable each is read from.
ES_OPTION_VARIABLES: dict[str, str] = {
    "api_key": "KAVOSH_ES_API_KEY",
    "user": "KAVOSH_ES_USER",
    "password": "KAVOSH_ES_PASSWORD",
    "ca_certs": "KAVOSH_ES_CA_CERTS",
    "index": "KAVOSH_ES_INDEX",
}


def default_store_path(env: Mapping[str, str] | None = None) -> Path:
    """``$KAVOSH_STORE``, else ``$XDG_DATA_HOME/kavosh`` (``~/.local/share/kavosh``)."""
    env = os.environ if env is None else env
    if env.get("KAVOSH_STORE"):
        return Path(env["KAVOSH_STORE"]).expanduser()
    data_home = env.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "kavosh"


def default_eval_cache(env: Mapping[str, str] | None = None) -> Path:
    """``$KAVOSH_EVAL_CACHE``, else ``$XDG_CACHE_HOME/kavosh-eval`` (``~/.cache/kavosh-eval``)."""
    env = os.environ if env is None else env
    if env.get("KAVOSH_EVAL_CACHE"):
        return Path(env["KAVOSH_EVAL_CACHE"]).expanduser()
    cache_home = env.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache_home) / "kavosh-eval"


@dataclass(frozen=True)
class Settings:
    """Where Kavosh reads from and how it answers; hashable, so the web UI keys its per-process service on it.

    :param store: the embedded store's directory.
    :param es_url: an Elasticsearch URL instead of the embedded store.
    :param es_options: Elasticsearch options (``api_key``, ``user``, ``password``, ``ca_certs``, ``index``) as
        sorted ``(name, value)`` pairs.
    :param reader: ``auto``, ``kavosh``, ``offline`` or ``transformer``.
    :param upload_max_mb: the web UI's upload limit per file.
    :param warm_up: load the models when the web UI starts.
    :param eval_cache: where ``kavosh eval`` caches embeddings.
    """

    store: str
    es_url: str | None = None
    es_options: tuple[tuple[str, str], ...] = ()
    reader: str = "auto"
    upload_max_mb: int = DEFAULT_UPLOAD_MAX_MB
    warm_up: bool = True
    eval_cache: str = ""

    @property
    def upload_max_bytes(self) -> int:
        return self.upload_max_mb * 2**20

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Settings from the ``KAVOSH_*`` variables (see the module docstring).

        :param env: the environment (default ``os.environ``).
        :raises ValueError: one line naming the variable with a bad value.
        """
        env = dict(os.environ if env is None else env)
        raw_limit = env.get("KAVOSH_UPLOAD_MAX_MB") or str(DEFAULT_UPLOAD_MAX_MB)
        if not raw_limit.isdigit() or int(raw_limit) <= 0:
            raise ValueError(f"KAVOSH_UPLOAD_MAX_MB must be a positive whole number of MB, got {raw_limit!r}")
        reader = env.get("KAVOSH_READER") or "auto"
        if reader not in READERS:
            raise ValueError(f"KAVOSH_READER must be one of {', '.join(READERS)}, got {reader!r}")
        return cls(
            store=str(default_store_path(env)),
            es_url=env.get("KAVOSH_ES_URL") or None,
            es_options=tuple(sorted((name, env[var]) for name, var in ES_OPTION_VARIABLES.items() if env.get(var))),
            reader=reader,
            upload_max_mb=int(raw_limit),
            warm_up=env.get("KAVOSH_UI_WARMUP", "1") != "0",
            eval_cache=str(default_eval_cache(env)),
        )

    def overridden(self, store: str | None = None, es_url: str | None = None, **es_options: str | None) -> Settings:
        """These settings with the values given on the command line (``None`` keeps the environment's).

        :param es_options: Elasticsearch options by name (``api_key``, ``user``, ...).
        :raises ValueError: for an unknown option name.
        """
        unknown = set(es_options) - set(ES_OPTION_VARIABLES)
        if unknown:
            raise ValueError(f"unknown Elasticsearch option(s): {', '.join(sorted(unknown))}")
        merged = dict(self.es_options) | {name: value for name, value in es_options.items() if value}
        return replace(
            self,
            store=str(Path(store).expanduser()) if store else self.store,
            es_url=es_url or self.es_url,
            es_options=tuple(sorted(merged.items())),
        )

    def to_env(self) -> dict[str, str]:
        """The ``KAVOSH_*`` variables that give these settings back (``kavosh ui`` hands them to the page)."""
        env = {"KAVOSH_STORE": self.store}
        if self.es_url:
            env["KAVOSH_ES_URL"] = self.es_url
        env.update({ES_OPTION_VARIABLES[name]: value for name, value in self.es_options})
        return env
