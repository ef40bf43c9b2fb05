"""A text summary of a py-spy profile (``py-spy record --format raw --threads
--full-filenames``): where a worker's CPU samples go.

Each input line is ``thread (tid): name;frame;frame;... count`` with frames like
``func (path/to/file.py:123)``, outermost first. The summary gives samples per thread,
the share of samples by component (the package of the innermost frame), the functions
most often on the stack (inclusive: counted once per sample) and at its top (self).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

_FRAME = re.compile(r"^(?P<func>.*) \((?P<path>[^()]*?)(?::\d+)?\)$")

#: Path fragment → component name, first match wins (innermost frame's file).
COMPONENTS: tuple[tuple[str, str], ...] = (
    ("/faust/", "faust"),
    ("/mode/", "mode (faust's service framework)"),
    ("/aiokafka/", "aiokafka"),
    ("/redis/", "redis-py"),
    ("/pydantic", "pydantic"),
    ("/msgpack/", "msgpack"),
    ("/leadq/", "leadq engine"),
    ("/schemas/", "leadq schemas (adapters, models)"),
    ("/streams/", "leadq streams (store, codec, prepare)"),
    ("/agents/", "leadq agents"),
    ("/asyncio/", "asyncio"),
    ("/logging/", "logging"),
    ("/json/", "json"),
)


@dataclass(frozen=True)
class Sample:
    thread: str
    frames: tuple[str, ...]
    count: int


def parse(lines: Iterable[str]) -> list[Sample]:
    """Samples of a py-spy raw (collapsed stacks) file; blank or odd lines are skipped."""
    samples = []
    for line in lines:
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if not stack or not count.isdigit():
            continue
        head, *frames = stack.split(";")
        thread = head.split(": ", 1)[1] if ": " in head else head
        samples.append(Sample(thread, tuple(frames), int(count)))
    return samples


def function(frame: str) -> str:
    """``func (file.py)``: a frame without its line number, the path shortened to what
    follows ``site-packages/`` or the repository root."""
    match = _FRAME.match(frame)
    if match is None:
        return frame
    return f"{match['func']} ({short_path(match['path'])})"


def short_path(path: str) -> str:
    for marker in ("site-packages/", "/lib/python3.11/", "/work/main/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path.rsplit("/", 1)[-1]


def component(frame: str) -> str:
    match = _FRAME.match(frame)
    path = match["path"] if match else frame
    for fragment, name in COMPONENTS:
        if fragment in path:
            return name
    return "other (stdlib, uvloop, builtins)"


def summarize(samples: list[Sample], top: int = 15, seconds: float = 0.0, rate_hz: int = 0) -> str:
    """The text summary; with ``seconds`` and ``rate_hz``, each thread's busy share.

    The inclusive list leaves out each thread's entry frames (those on the stack in
    (nearly) every one of its samples: ``main``, ``run_forever``...), which say nothing.
    """
    total = sum(s.count for s in samples) or 1
    threads: Counter[str] = Counter()
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    parts: Counter[str] = Counter()
    per_thread: dict[str, Counter[str]] = {}
    stacked: Counter[str] = Counter()  # samples with a stack, per thread
    for sample in samples:
        threads[sample.thread] += sample.count
        if not sample.frames:
            continue
        stacked[sample.thread] += sample.count
        own[function(sample.frames[-1])] += sample.count
        parts[component(sample.frames[-1])] += sample.count
        names = {function(f) for f in sample.frames}
        counts = per_thread.setdefault(sample.thread, Counter())
        for name in names:
            inclusive[name] += sample.count
            counts[name] += sample.count
    # ≥ 99%, not 100%: py-spy garbles the odd sample (a stack read mid-change).
    entry = {
        n for t, counts in per_thread.items() for n, c in counts.items() if c >= 0.99 * stacked[t]
    }
    lines = [f"{total} samples (threads on CPU, idle excluded)", "", "by thread:"]
    for name, count in threads.most_common():
        busy = f", busy {count / (seconds * rate_hz):.0%} of the run" if seconds and rate_hz else ""
        lines.append(f"  {count / total:6.1%}  {name}{busy}")
    lines += ["", "by component (innermost frame):"]
    lines += [f"  {count / total:6.1%}  {name}" for name, count in parts.most_common()]
    lines += ["", f"top {top} inclusive (on the stack; entry frames left out):"]
    ranked = [(n, c) for n, c in inclusive.most_common() if n not in entry][:top]
    lines += [f"  {count / total:6.1%}  {name}" for name, count in ranked]
    lines += ["", f"top {top} self (innermost frame):"]
    lines += [f"  {count / total:6.1%}  {name}" for name, count in own.most_common(top)]
    return "\n".join(lines)
