"""One parse per notebook content, shared by the metadata, parameters, cache key, zygote and papermill copy."""

from __future__ import annotations

import json
import os

import pytest

from techduel.build import cache, nbjson


def notebook(path, text: str, outputs: list) -> None:
    doc = {"cells": [{"cell_type": "markdown", "id": "m", "metadata": {}, "source": "# T"},
                     {"cell_type": "code", "id": "c", "metadata": {"tags": ["parameters"]}, "source": text,
                      "outputs": outputs, "execution_count": 3}],
           "metadata": {"techduel": {"thread": "t"}}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(doc), encoding="utf-8")


def test_lean_drops_outputs_and_counts_and_keeps_the_rest(tmp_path):
    p = tmp_path / "01_x.ipynb"
    notebook(p, "x = 1", [{"output_type": "stream", "name": "stdout", "text": "big"}])
    doc = nbjson.lean(p)
    code = doc["cells"][1]
    assert "outputs" not in code and "execution_count" not in code
    assert code["source"] == "x = 1" and code["metadata"] == {"tags": ["parameters"]}
    assert doc["cells"][0]["source"] == "# T" and doc["metadata"] == {"techduel": {"thread": "t"}}


def test_the_same_content_is_parsed_once_and_a_rewrite_is_parsed_again(tmp_path, monkeypatch):
    p = tmp_path / "01_x.ipynb"
    notebook(p, "x = 1", [])
    past = 10**9 * 1_000_000  # an old mtime, so the hash memo may keep it (young files are rehashed anyway)
    os.utime(p, ns=(past, past))
    first = nbjson.lean(p)
    parsed = []
    real = nbjson._parse
    monkeypatch.setattr(nbjson, "_parse", lambda name: parsed.append(name) or real(name))
    assert nbjson.lean(p) is first and parsed == []
    notebook(p, "x = 2", [])
    assert nbjson.lean(p)["cells"][1]["source"] == "x = 2" and len(parsed) == 1


def test_a_bad_file_raises_for_its_caller_to_report(tmp_path):
    p = tmp_path / "01_bad.ipynb"
    p.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError):
        nbjson.lean(p)
    with pytest.raises(OSError):
        nbjson.lean(tmp_path / "missing.ipynb")
    assert cache.source_hash(p) == cache.file_hash(p)  # the cache key falls back to the bytes
