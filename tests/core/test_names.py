from __future__ import annotations

import pytest

from core.names import check_episode_id, check_name, episode_slug


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("tom", True),
        ("frog_2", True),
        ("a-b", True),
        ("", False),
        ("..", False),
        (".", False),
        ("../../../tmp/x", False),
        ("/tmp/x", False),
        ("Tom", False),
        ("a/b", False),
        ("a\\b", False),
        ("x" * 33, False),
        ("nonface", False),
        ("other", False),
        ("unlabelled", False),
        (None, False),
        (7, False),
    ],
)
def test_check_name(name: object, ok: bool) -> None:
    if ok:
        assert check_name(name, what="category") == name
    else:
        with pytest.raises(ValueError, match="category name"):
            check_name(name, what="category", source="boxes.json")


@pytest.mark.parametrize(
    ("stem", "slug"),
    [
        ("s2017-e01", "s2017-e01"),
        ("é1", "é1"),
        ("Été 1", "Été_1"),
        ("日本 語", "日本_語"),
        ("..", "episode"),
        (".hidden", "hidden"),
        ("a/../b", "a_.._b"),
        ("___", "episode"),
        ("", "episode"),
    ],
)
def test_episode_slug(stem: str, slug: str) -> None:
    assert episode_slug(stem) == slug
    assert check_episode_id(episode_slug(stem)) == slug


@pytest.mark.parametrize("bad", ["..", "../x", "/tmp/x", ".x", "", "a b", None])
def test_check_episode_id_refuses(bad: object) -> None:
    with pytest.raises(ValueError, match="episode id"):
        check_episode_id(bad, source="w.duckdb")
