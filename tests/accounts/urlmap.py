"""Every URL the project answers, as one sample path per pattern.

Walks ``get_resolver()`` recursively, so a view that any app adds later is covered by the tests that
use this without anyone editing them. Route converters get a sample value by type; regex patterns
(the admin's, simple-history's) and unknown converters get the shortest string their regex accepts.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]

from django.urls import URLPattern, URLResolver, converters, get_resolver, resolve
from django.urls.resolvers import LocalePrefixPattern, RegexPattern, RoutePattern

_TEXT_CONVERTERS = (converters.StringConverter, converters.SlugConverter, converters.PathConverter)
_ROUTE_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<parameter>[^>]+)>")


@dataclass(frozen=True)
class SampleUrl:
    path: str
    name: str  # "namespace:name", or the pattern text for unnamed patterns
    callback: object


def _converter_sample(converter: object) -> str:
    if isinstance(converter, converters.IntConverter):
        return "1"
    if isinstance(converter, converters.UUIDConverter):
        return str(uuid.uuid4())
    if isinstance(converter, _TEXT_CONVERTERS):
        return "x"
    # A custom converter: anything its regex accepts.
    return shortest_match(converter.regex)  # type: ignore[attr-defined]


def _shortest(parsed: sre_parse.SubPattern) -> str:
    out = []
    for op, arg in parsed:
        if op is sre.LITERAL:
            out.append(chr(arg))
        elif op is sre.NOT_LITERAL:
            out.append("x" if chr(arg) != "x" else "y")
        elif op is sre.ANY:
            out.append("x")
        elif op is sre.IN:
            out.append(_one_of(arg))
        elif op is sre.BRANCH:
            out.append(_shortest(arg[1][0]))
        elif op is sre.SUBPATTERN:
            out.append(_shortest(arg[-1]))
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", None)):
            low, _high, item = arg
            # One repetition rather than zero, so that "(?P<url>.*)" still yields a non-empty segment.
            out.append(_shortest(item) * max(low, 1))
        elif op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
            continue
        else:
            raise ValueError(f"tests/accounts/urlmap.py cannot sample regex op {op}")
    return "".join(out)


def _one_of(items: list[tuple[object, object]]) -> str:
    if items and items[0][0] is sre.NEGATE:
        return "x"
    op, arg = items[0]
    if op is sre.LITERAL:
        return chr(arg)  # type: ignore[arg-type]
    if op is sre.RANGE:
        return chr(arg[0])  # type: ignore[index]
    if op is sre.CATEGORY:
        return "1" if arg is sre.CATEGORY_DIGIT else "x"
    raise ValueError(f"tests/accounts/urlmap.py cannot sample character class {items}")


def shortest_match(regex: str) -> str:
    sample = _shortest(sre_parse.parse(regex))
    assert re.search(regex, sample), f"sample {sample!r} does not match {regex!r}"
    return sample


def _sample_piece(pattern: object) -> str:
    if isinstance(pattern, RoutePattern):
        route = str(pattern._route)
        return _ROUTE_PARAM.sub(lambda m: _converter_sample(pattern.converters[m["parameter"]]), route)
    if isinstance(pattern, RegexPattern):
        return shortest_match(pattern._regex)
    if isinstance(pattern, LocalePrefixPattern):
        return pattern.language_prefix
    raise ValueError(f"tests/accounts/urlmap.py cannot sample {type(pattern).__name__}")


def _walk(resolver: URLResolver, prefix: str, namespace: str) -> list[SampleUrl]:
    found = []
    for entry in resolver.url_patterns:
        piece = prefix + _sample_piece(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found.extend(_walk(entry, piece, inner))
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else f"{namespace}<{entry.pattern}>"
            found.append(SampleUrl(path="/" + piece, name=name, callback=entry.callback))
    return found


def all_sample_urls() -> list[SampleUrl]:
    """One sample URL per pattern; each is checked to resolve to the pattern it was built from."""
    samples = _walk(get_resolver(), "", "")
    for sample in samples:
        match = resolve(sample.path)
        assert match.func is sample.callback, (
            f"{sample.path} was built for {sample.name} but resolves to {match.view_name}: "
            "teach tests/accounts/urlmap.py a better sample for this pattern"
        )
    return samples
