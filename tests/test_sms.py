"""GSM-7 and UCS-2 segment counting."""

import pytest

from chatsurvey.engine import sms


@pytest.mark.parametrize("text, encoding, segments", [
    ("", "GSM-7", 0),
    ("a" * 160, "GSM-7", 1),
    ("a" * 161, "GSM-7", 2),
    ("a" * 306, "GSM-7", 2),
    ("a" * 307, "GSM-7", 3),
    ("€" * 80, "GSM-7", 1),   # extended characters take two septets
    ("€" * 81, "GSM-7", 2),
    ("[]" * 40, "GSM-7", 1),
    ("Café à la crème? Ça va.", "GSM-7", 1),
    ("Une fête", "UCS-2", 1),  # ê is not in GSM-7
    ("Oes gennych chi gŵn?", "UCS-2", 1),
    ("ŵ" * 70, "UCS-2", 1),
    ("ŵ" * 71, "UCS-2", 2),
    ("ŵ" * 135, "UCS-2", 3),
    ("😀" * 35, "UCS-2", 1),  # an emoji is two UTF-16 units
    ("😀" * 36, "UCS-2", 2),
    ("a`b", "UCS-2", 1),
    ("a\tb", "UCS-2", 1),
    ("ÄÖÑÜ§¿äöñüà", "GSM-7", 1),
])
def test_encoding_and_segments(text, encoding, segments):
    assert sms.encoding(text) == encoding
    assert sms.segments(text) == segments


def test_typographic_punctuation_becomes_plain():
    fancy = "“Don’t” – it’s fine… • ok\u00a0then"
    plain = sms.plain_punctuation(fancy)
    assert plain == "\"Don't\" - it's fine... * ok then"
    assert sms.encoding(plain) == "GSM-7"
    assert sms.plain_punctuation("ascii stays") == "ascii stays"
    # Letters are never changed: Welsh keeps its accents.
    assert sms.plain_punctuation("gŵr’s") == "gŵr's"
