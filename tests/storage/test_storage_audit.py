"""The secrets audit finds keys in plain text, base64 at any offset, and UTF-16."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.storage import audit
from desktop_app.storage.audit import find_secrets_in_tree, scan_tree, secret_needles

KEY = "sk-live-Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0"


def test_plain_text_hit_names_the_file_and_masks_the_key(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    leaked = tmp_path / "sub" / "log.txt"
    leaked.write_text(f"request headers: Authorization: Bearer {KEY}\n")
    (tmp_path / "clean.txt").write_text("nothing here")

    hits = find_secrets_in_tree(tmp_path, [KEY])

    assert [(h.path, h.encoding) for h in hits] == [(leaked, "plain")]
    assert hits[0].offset == len("request headers: Authorization: Bearer ")
    assert KEY not in repr(hits)


def test_base64_at_every_offset(tmp_path: Path) -> None:
    for shift in range(3):
        blob = base64.b64encode(b"x" * shift + KEY.encode() + b"tail").decode()
        (tmp_path / f"b{shift}.json").write_text(json.dumps({"state": blob}))
    urlsafe = base64.urlsafe_b64encode(b"??>" + KEY.encode()).decode()
    (tmp_path / "u.txt").write_text(urlsafe)

    hits = find_secrets_in_tree(tmp_path, [KEY])

    assert sorted(h.path.name for h in hits) == ["b0.json", "b1.json", "b2.json", "u.txt"]
    assert {h.encoding for h in hits} <= {"base64", "base64url"}


def test_utf16_hit(tmp_path: Path) -> None:
    (tmp_path / "reg.dat").write_bytes(b"\xff\xfe" + f"key={KEY}".encode("utf-16-le"))

    encodings = {h.encoding for h in find_secrets_in_tree(tmp_path, [KEY])}

    assert "utf-16-le" in encodings  # the big-endian form matches one byte later, too
    assert "plain" not in encodings


def test_other_text_is_no_hit(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(KEY[:-1] + "_" + base64.b64encode(b"unrelated").decode())

    report = scan_tree(tmp_path, [KEY, ""])

    assert report.hits == []
    assert report.files_scanned == 1


def test_match_across_chunk_boundary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit, "_CHUNK", 16)
    (tmp_path / "big.bin").write_bytes(b"0" * 13 + KEY.encode() + b"1" * 40)

    hits = find_secrets_in_tree(tmp_path, [KEY])

    assert [(h.encoding, h.offset) for h in hits] == [("plain", 13)]


def test_several_roots_missing_ones_and_single_files(tmp_path: Path) -> None:
    file = tmp_path / "one.txt"
    file.write_text(KEY)

    report = scan_tree([file, tmp_path, tmp_path / "missing"], [KEY])

    assert len(report.hits) == 1
    assert report.files_scanned == 1


def test_short_secrets_skip_base64() -> None:
    assert {enc for enc, _ in secret_needles("abc")} == {"plain", "utf-16-le", "utf-16-be"}


@settings(max_examples=200, deadline=None)
@given(
    prefix=st.binary(max_size=12),
    suffix=st.binary(max_size=12),
    secret=st.text(
        alphabet=st.characters(min_codepoint=33, max_codepoint=0x24F), min_size=8, max_size=40
    ),
)
def test_any_base64_embedding_is_found(prefix: bytes, suffix: bytes, secret: str) -> None:
    blob = base64.b64encode(prefix + secret.encode() + suffix)

    needles = [needle for enc, needle in secret_needles(secret) if enc == "base64"]

    assert any(needle in blob for needle in needles)
