from hypothesis import given
from hypothesis import strategies as st

from bot.text import MESSAGE_LIMIT, escape, link, pack_messages, plain_text, utf16_len, visible_len


def test_escape_and_links():
    assert escape("<script>alert(1)</script> & co") == "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"
    assert link('https://x.az/?a=1&b="2"', "R&D <b>") == (
        '<a href="https://x.az/?a=1&amp;b=&quot;2&quot;">R&amp;D &lt;b&gt;</a>'
    )


def test_length_counts_utf16_units_of_visible_text():
    assert utf16_len("Бакı😀") == 6  # the emoji is a surrogate pair
    assert visible_len("<b>a&amp;b</b>") == 3


def test_small_blocks_share_one_message_and_large_ones_split_between_blocks():
    blocks = [f"<b>Incident {n}</b>\n" + "\n".join(f"line {n}.{i}" for i in range(40)) for n in range(20)]
    messages = pack_messages(blocks)
    assert len(messages) > 1
    assert all(visible_len(message) <= MESSAGE_LIMIT for message in messages)
    assert all(message.startswith("<b>Incident ") for message in messages)  # cut between blocks
    assert "\n\n".join(messages) == "\n\n".join(blocks)  # nothing lost or reordered


def test_an_overlong_line_is_cut_as_plain_text_without_losing_characters():
    line = "<i>" + "😀" * 3000 + "</i>"
    messages = pack_messages([line])
    assert all(visible_len(message) <= MESSAGE_LIMIT for message in messages)
    assert "".join(plain_text(message) for message in messages) == "😀" * 3000


@given(st.lists(st.text(min_size=0, max_size=700).map(escape), min_size=1, max_size=30), st.integers(50, 500))
def test_packing_never_exceeds_the_limit_and_keeps_all_text(blocks, limit):
    messages = pack_messages(blocks, limit=limit)
    assert all(visible_len(message) <= limit for message in messages)
    kept = "".join(plain_text(m) for m in messages).replace("\n", "")
    assert kept == "".join(plain_text(b) for b in blocks).replace("\n", "")
