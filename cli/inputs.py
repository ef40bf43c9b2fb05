"""Reading event documents for the CLI: one JSON document, or JSON lines."""

from __future__ import annotations

from collections.abc import Iterator

import orjson


def iter_documents(data: bytes) -> Iterator[tuple[str, bytes]]:
    """(label, document bytes) for each document in ``data``, labelled for messages.

    The whole input is one document (``"input"``) when it parses as JSON — a
    pretty-printed vendor array, say; otherwise every non-blank line is one document
    (``"line N"``), and lines that are not JSON are still yielded so the caller can
    reject them with a reason.
    """
    if not data.strip():
        return
    try:
        orjson.loads(data)
    except orjson.JSONDecodeError:
        pass
    else:
        yield "input", data
        return
    for number, line in enumerate(data.splitlines(), start=1):
        if line.strip():
            yield f"line {number}", line
