"""Reading event documents for the CLI: one JSON document, or JSON lines."""

from __future__ import annotations

from collections.abc import Iterator

import orjson


def iter_documents(raw: bytes) -> Iterator[tuple[int, bytes]]:
    """(line number, document bytes) for each document in ``raw``.

    The whole input is one document when it parses as JSON (a pretty-printed vendor
    array, say); otherwise every non-blank line is one document (JSON lines), and lines
    that are not JSON are still yielded so the caller can reject them with a reason.
    """
    try:
        orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    else:
        yield 1, raw
        return
    for number, line in enumerate(raw.splitlines(), start=1):
        if line.strip():
            yield number, line
