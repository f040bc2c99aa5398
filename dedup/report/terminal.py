"""Text safe to print on a terminal, and counted nouns.

Article texts, ids and file names come from anywhere. Printed raw, a control sequence in
one of them can retitle the terminal, move the cursor, hide lines or (with bidi
overrides) show text in an order other than the one it has. The text report and every
message on stderr go through :func:`terminal_safe`, which writes such characters as
visible escapes; JSON, CSV and HTML outputs escape in their own ways and keep the data.
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls, the bidi embeddings, overrides and isolates (the
# "Trojan Source" characters), and the Unicode line and paragraph separators. Bidi
# *marks* (LRM, RLM, ALM) are left alone: right-to-left texts use them, and they
# reorder nothing beyond themselves.
_ALL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_BUT_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: object, keep_lines: bool = False) -> str:
    """``text`` with every control character written as a visible escape.

    ``keep_lines`` keeps newlines and tabs (for multi-line reports); otherwise they are
    escaped too, so one value stays on one line.

    >>> terminal_safe("id\\x1b]0;HACKED\\x07 \\u202eevil")
    'id\\\\x1b]0;HACKED\\\\x07 \\\\u202eevil'
    """
    return (_BUT_LINES if keep_lines else _ALL).sub(_escape, str(text))


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 cluster``, ``2 clusters``; ``nouns`` for irregular plurals.

    >>> plural(1, "record"), plural(3, "record"), plural(0, "match", "matches")
    ('1 record', '3 records', '0 matches')
    """
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"
