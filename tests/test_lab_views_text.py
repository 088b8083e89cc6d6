"""views.bracket_words: the 5-move rule's bracket in words, open sides said, no stray dots."""

from ridgeline.lab.views import bracket_words


def test_bracket_words():
    assert bracket_words(2560, 5120) == "2,560 – 5,120"
    assert bracket_words(2560, None) == "above 2,560 (no probe has seen it flip yet)"
    assert bracket_words(None, 181) == "below 181 (no probe has seen it flip yet)"
    assert bracket_words(None, None) == "none yet"
