"""Reading a request body: size limits, compression, JSON.

Contract: :func:`read_body` returns the body as the sender meant it (aiohttp has already
undone a ``Content-Encoding: gzip``/``deflate``), or raises a :class:`HttpError`: 413 when
it is larger than the endpoint's limit (counted after decompression, so a small gzip
bomb is refused as the large body it is), 400 when the compression is broken. The body
is read in chunks and never held beyond ``limit + 1 chunk``.
"""

from __future__ import annotations

import zlib

import orjson
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError

from gateway.responses import HttpError

#: gzip framing for zlib (16 + the largest window).
_GZIP_WBITS = 16 + zlib.MAX_WBITS


def too_large(size_text: str, limit: int, what: str) -> HttpError:
    """The 413 for a body or item over its limit."""
    return HttpError(
        413, "payload_too_large", f"{what} is {size_text}, over the limit of {limit} bytes"
    )


async def read_body(request: web.Request, limit: int, what: str = "request body") -> bytes:
    """The whole (decompressed) body; see the module contract."""
    declared = request.content_length
    if declared is not None and declared > limit and "Content-Encoding" not in request.headers:
        raise too_large(f"{declared} bytes", limit, what)
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.content.iter_any():
            size += len(chunk)
            if size > limit:
                raise too_large(f"more than {limit} bytes", limit, what)
            chunks.append(chunk)
    except (RequestPayloadError, HttpProcessingError) as error:
        # aiohttp reports a corrupt gzip/deflate stream (or a broken chunked body) here.
        reason = str(error).replace("\n", " ").strip()
        raise HttpError(400, "bad_encoding", f"cannot read the request body: {reason}") from None
    return b"".join(chunks)


def gunzip(raw: bytes, limit: int, what: str = "request body") -> bytes:
    """``raw`` gunzipped, for senders that compress without saying so in a header
    (posthog-js's ``?compression=gzip-js``); 413 past ``limit``, 400 if not gzip."""
    inflater = zlib.decompressobj(_GZIP_WBITS)
    try:
        data = inflater.decompress(raw, limit + 1)
    except zlib.error as error:
        raise HttpError(400, "bad_encoding", f"the body is not valid gzip: {error}") from None
    if len(data) > limit:
        raise too_large(f"more than {limit} bytes uncompressed", limit, what)
    return data


def parse_json(raw: bytes) -> object:
    """``raw`` parsed as JSON, or a 400 naming what is wrong with it."""
    if not raw.strip():
        raise HttpError(400, "invalid_json", "the request body is empty: expected JSON")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise HttpError(
            400, "invalid_json", f"the request body is not valid JSON: {error}"
        ) from None
