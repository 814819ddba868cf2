"""The reader's numeric core: windows over long passages, answer labels, span decoding (kavosh.qa.reader_model)."""

from __future__ import annotations

import numpy as np
import pytest

from kavosh.qa.reader_model import (
    MAX_ANSWER_TOKENS,
    Window,
    answer_token_span,
    best_spans,
    calibrated,
    decode_spans,
    make_windows,
    pad_batch,
)

BOS, EOS, PAD = 0, 2, 1


def _passage(n: int) -> tuple[list[int], list[tuple[int, int]]]:
    """n tokens of 3 characters each, separated by a space: token i covers characters [4i, 4i+3)."""
    return [100 + i for i in range(n)], [(4 * i, 4 * i + 3) for i in range(n)]


def test_short_passage_is_one_window_in_the_pair_layout():
    ids, spans = _passage(5)
    (window,) = make_windows(3, [50, 51], ids, spans, BOS, EOS, max_length=32, stride=8)
    assert window.input_ids.tolist() == [BOS, 50, 51, EOS, EOS, *ids, EOS]
    assert window.context_offset == 5 and window.passage == 3 and window.token_spans == tuple(spans)


def test_long_passage_windows_overlap_by_the_stride_and_cover_every_token():
    ids, spans = _passage(100)
    windows = make_windows(0, [50, 51], ids, spans, BOS, EOS, max_length=32, stride=8)
    room = 32 - 5 - 1
    assert all(len(w.input_ids) <= 32 for w in windows)
    firsts = [w.input_ids[w.context_offset] - 100 for w in windows]
    assert firsts == list(range(0, 100 - room + (room - 8), room - 8))[: len(windows)]
    covered = set()
    for w in windows:
        covered.update(w.input_ids[w.context_offset : w.context_offset + len(w.token_spans)].tolist())
    assert covered == set(ids)


def test_window_settings_that_leave_no_room_are_refused():
    ids, spans = _passage(10)
    with pytest.raises(ValueError, match="no room"):
        make_windows(0, list(range(40)), ids, spans, BOS, EOS, max_length=40, stride=8)
    with pytest.raises(ValueError, match="stride"):
        make_windows(0, [50], ids, spans, BOS, EOS, max_length=32, stride=30)


def test_answer_labels_point_at_its_first_and_last_token_or_at_the_no_answer():
    ids, spans = _passage(100)
    windows = make_windows(0, [50], ids, spans, BOS, EOS, max_length=32, stride=8)
    start_char, end_char = 4 * 30 + 1, 4 * 32 + 3  # inside token 30 to the end of token 32
    labelled = [(w, answer_token_span(w, start_char, end_char)) for w in windows]
    holding = [(w, span) for w, span in labelled if span != (0, 0)]
    assert holding, "some window holds the answer"
    for w, (first, last) in holding:
        assert w.input_ids[first] - 100 == 30 and w.input_ids[last] - 100 == 32
    assert any(span == (0, 0) for _, span in labelled)


def _window_with_logits(n: int, best: tuple[int, int], null: float) -> tuple[Window, np.ndarray, np.ndarray]:
    ids, spans = _passage(n)
    (window,) = make_windows(0, [50], ids, spans, BOS, EOS, max_length=128, stride=8)
    start = np.full(len(window.input_ids), -5.0)
    end = np.full(len(window.input_ids), -5.0)
    start[0] = end[0] = null / 2
    start[window.context_offset + best[0]] = 4.0
    end[window.context_offset + best[1]] = 3.0
    return window, start, end


def test_decoding_finds_the_best_span_scored_against_no_answer():
    window, start, end = _window_with_logits(10, (2, 4), null=1.0)
    null, spans = decode_spans(window, start, end)
    assert null == pytest.approx(1.0)
    assert (spans[0].start, spans[0].end) == (8, 19)  # token 2 starts at 8, token 4 ends at 19
    assert spans[0].score == pytest.approx(4.0 + 3.0 - 1.0)


def test_decoding_never_returns_a_span_ending_before_it_starts_or_too_long():
    window, start, end = _window_with_logits(60, (10, 5), null=0.0)
    _, spans = decode_spans(window, start, end)
    token_starts = {s: i for i, (s, _) in enumerate(window.token_spans)}
    token_ends = {e: i for i, (_, e) in enumerate(window.token_spans)}
    for span in spans:
        i, j = token_starts[span.start], token_ends[span.end]
        assert i <= j and j - i + 1 <= MAX_ANSWER_TOKENS


def test_the_same_span_from_two_windows_is_returned_once_with_its_better_score():
    window, start, end = _window_with_logits(10, (2, 4), null=1.0)
    better = start.copy()
    better[window.context_offset + 2] += 1.0
    spans = best_spans([window, window], [(start, end), (better, end)])
    keys = [(s.passage, s.start, s.end) for s in spans]
    assert len(keys) == len(set(keys))
    assert spans[0].score == pytest.approx(4.0 + 1.0 + 3.0 - 1.0)


def test_batches_are_padded_with_a_mask():
    ids, spans = _passage(3)
    a = make_windows(0, [50], ids, spans, BOS, EOS, max_length=32, stride=8)[0]
    b = make_windows(1, [50, 51, 52], ids, spans, BOS, EOS, max_length=32, stride=8)[0]
    batch, mask = pad_batch([a, b], PAD)
    assert batch.shape == mask.shape == (2, len(b.input_ids))
    assert batch[0, len(a.input_ids) :].tolist() == [PAD] * (len(b.input_ids) - len(a.input_ids))
    assert mask.sum(1).tolist() == [len(a.input_ids), len(b.input_ids)]


def test_calibration_is_a_monotone_probability():
    values = [calibrated(s, (0.2, -1.0)) for s in (-20, -5, 0, 5, 20)]
    assert values == sorted(values) and all(0 < v < 1 for v in values)


def test_a_windows_scores_do_not_depend_on_the_other_passages_read(seeds_dir):
    """The int8 model scales activations per call: each window runs alone, so its answer cannot change with the rest
    of what retrieval returned (it did, when windows were batched)."""
    from kavosh.qa.reader_model import ReaderModel

    model = ReaderModel()
    model.warm_up()
    question = "When will the Iran–Russia treaty end?"
    articles = [p.read_text(encoding="utf-8")[:1200] for p in sorted(seeds_dir.iterdir())]
    alone = model.logits(model.windows(question, articles[:1]))
    together = model.logits(model.windows(question, articles))
    np.testing.assert_array_equal(alone[0][0], together[0][0])
    np.testing.assert_array_equal(alone[0][1], together[0][1])
