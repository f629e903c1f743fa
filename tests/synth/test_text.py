"""Text patterns: new strings with the baseline's shapes, lengths and characters."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from app.synth.text import TextModel, shape_of


@settings(max_examples=40, deadline=None)
@given(strings=st.lists(st.text(min_size=0, max_size=12), min_size=1, max_size=80))
def test_lengths_and_characters_come_from_the_training_strings(strings: list[str]) -> None:
    model = TextModel.fit(strings)
    out = model.sample(300, np.random.default_rng(0)).tolist()
    lengths = {len(s) for s in strings}
    assert all(isinstance(s, str) and len(s) in lengths for s in out)
    assert set("".join(out)) <= set("".join(strings)) | {" "}


def test_ids_keep_their_shape_but_are_new() -> None:
    rng = np.random.default_rng(1)
    ids = [
        f"N{rng.integers(100, 999)}{rng.choice(list('ABCDEF'))}{rng.choice(list('XYZ'))}"
        for _ in range(3000)
    ]
    out = TextModel.fit(ids).sample(2000, np.random.default_rng(2)).tolist()
    assert {shape_of(s) for s in out} == {"A999AA"}
    assert len(set(out) - set(ids)) > 1000
