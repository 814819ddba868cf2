"""Tests for kavosh.service.settings: the one reading of the KAVOSH_* environment, and kavosh.service.extras."""

from __future__ import annotations

from pathlib import Path

import pytest

from kavosh.service.extras import MissingExtraError, extra_installed
from kavosh.service.settings import Settings, default_store_path


def test_defaults_follow_the_xdg_folders(tmp_path):
    settings = Settings.from_env({"XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert settings.store == str(tmp_path / "data" / "kavosh")
    assert settings.eval_cache == str(tmp_path / "cache" / "kavosh-eval")
    assert (settings.es_url, settings.es_options, settings.reader) == (None, (), "auto")
    assert (settings.upload_max_mb, settings.upload_max_bytes, settings.warm_up) == (50, 50 * 2**20, True)


def test_every_variable_is_read(tmp_path):
    env = {
        "KAVOSH_STORE": "~/news-store",
        "KAVOSH_ES_URL": "http://es:9200",
        "KAVOSH_ES_INDEX": "news",
        "KAVOSH_ES_USER": "elastic",
        "KAVOSH_ES_PASSWORD": "secret",
        "KAVOSH_READER": "offline",
        "KAVOSH_UPLOAD_MAX_MB": "5",
        "KAVOSH_UI_WARMUP": "0",
        "KAVOSH_EVAL_CACHE": str(tmp_path / "eval"),
    }
    settings = Settings.from_env(env)
    assert settings.store == str(Path("~/news-store").expanduser())
    assert settings.es_url == "http://es:9200"
    assert settings.es_options == (("index", "news"), ("password", "secret"), ("user", "elastic"))
    assert (settings.reader, settings.upload_max_mb, settings.warm_up) == ("offline", 5, False)
    assert settings.eval_cache == str(tmp_path / "eval")
    assert hash(settings) == hash(Settings.from_env(env))  # the UI keys its per-process service on it


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"KAVOSH_UPLOAD_MAX_MB": "lots"}, "KAVOSH_UPLOAD_MAX_MB must be a positive whole number of MB, got 'lots'"),
        ({"KAVOSH_UPLOAD_MAX_MB": "0"}, "KAVOSH_UPLOAD_MAX_MB must be a positive whole number of MB, got '0'"),
        ({"KAVOSH_READER": "magic"}, "KAVOSH_READER must be one of auto, kavosh, offline, transformer, got 'magic'"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(env, message):
    with pytest.raises(ValueError) as info:
        Settings.from_env(env)
    assert str(info.value) == message and "\n" not in str(info.value)


def test_command_line_values_win_and_go_back_to_the_page_as_variables(tmp_path):
    base = Settings.from_env({"KAVOSH_STORE": str(tmp_path / "env-store"), "KAVOSH_ES_USER": "env-user"})
    assert base.overridden() == base
    over = base.overridden(store=str(tmp_path / "cli-store"), es_url="http://es:9200", user="cli-user", index=None)
    assert over.store == str(tmp_path / "cli-store")
    assert over.es_options == (("user", "cli-user"),)
    assert Settings.from_env(over.to_env()).overridden() == Settings.from_env(over.to_env())
    assert over.to_env() == {
        "KAVOSH_STORE": str(tmp_path / "cli-store"),
        "KAVOSH_ES_URL": "http://es:9200",
        "KAVOSH_ES_USER": "cli-user",
    }
    with pytest.raises(ValueError, match="unknown Elasticsearch option"):
        base.overridden(colour="red")


def test_default_store_path_reads_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("KAVOSH_STORE", str(tmp_path / "s"))
    assert default_store_path() == tmp_path / "s"


def test_missing_extra_message_names_the_extra():
    assert str(MissingExtraError("es")) == "Elasticsearch support needs the es extra: pip install 'kavosh[es]'"
    assert str(MissingExtraError("eval")) == "kavosh eval needs the eval extra: pip install 'kavosh[eval]'"
    assert extra_installed("ui") and extra_installed("es") and extra_installed("eval")  # the dev install has all
