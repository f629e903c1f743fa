"""The profile builder's per-column counts, pinned on small columns of mixed values."""

from __future__ import annotations

from app.profile import ProfileBuilder
from app.profile.field import FieldProfile


def _field(values: list[object]) -> FieldProfile:
    builder = ProfileBuilder()
    builder.add([{"x": v} for v in values])
    return builder.snapshot("feed", 0, 0, 0).fields["x"]


def test_booleans_count_apart_from_the_numbers_equal_to_them() -> None:
    fp = _field([True, 1, False, 1.0, None, True])
    assert dict(fp.types) == {"bool": 3, "int": 1, "float": 1, "null": 1}
    assert fp.category_counts() == {"true": 2, "false": 1}
    assert (fp.count, fp.nulls, fp.numeric_count) == (6, 1, 2)


def test_a_column_of_one_boolean_has_one_category() -> None:
    assert _field([False, False]).category_counts() == {"false": 2}
    assert _field([True]).category_counts() == {"true": 1}


def test_strings_alone_and_among_other_values_count_the_same() -> None:
    alone = _field(["a", "bb", "a"])
    mixed = _field(["a", 7, "bb", None, "a"])
    assert alone.category_counts() == mixed.category_counts() == {"a": 2, "bb": 1}
    assert alone.types["string"] == mixed.types["string"] == 3
    assert dict(mixed.types) == {"string": 3, "int": 1, "null": 1}
