"""A small reader of gettext catalogues (.po/.pot), enough for the translation checks.

polib is not a dependency, so this reads the format itself: ``msgctxt``, ``msgid``, ``msgid_plural``,
``msgstr`` and ``msgstr[n]``, strings continued over several lines, C escapes, ``#,`` flags (fuzzy,
python-format…) and obsolete ``#~`` entries, which it keeps apart rather than counting as live.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$')
_STRING = re.compile(r'^(".*")\s*$')


@dataclass
class Entry:
    msgid: str
    context: str | None = None
    msgid_plural: str | None = None
    # One string, or one per plural form (index → string).
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: frozenset[str] = frozenset()
    # Where the message is used ("#: path:line"), as makemessages writes it.
    references: tuple[str, ...] = ()
    obsolete: bool = False
    line: int = 0

    @property
    def key(self) -> tuple[str | None, str, bool]:
        """What gettext looks a message up by. A plural message is a different message from a singular
        one with the same msgid: ngettext() does not find a translation given for gettext()."""
        return (self.context, self.msgid, self.msgid_plural is not None)

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.context is None

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr.values()) and not self.fuzzy


def _unquote(quoted: str, where: str) -> str:
    if len(quoted) < 2 or quoted[0] != '"' or quoted[-1] != '"':
        raise ValueError(f"{where}: not a quoted string: {quoted!r}")
    body = quoted[1:-1]

    def unescape(match: re.Match[str]) -> str:
        char = match[1]
        if char in _ESCAPES:
            return _ESCAPES[char]
        if char.isdigit():  # octal escape, as xgettext writes for control characters
            return chr(int(match[0][1:], 8))
        raise ValueError(f"{where}: unknown escape \\{char}")

    if re.search(r'(?<!\\)(?:\\\\)*"', body):
        raise ValueError(f"{where}: unescaped quote inside {quoted!r}")
    return re.sub(r"\\([0-7]{1,3}|.)", unescape, body)


def parse(text: str, *, source: str = "<catalogue>") -> list[Entry]:
    """Every entry of a catalogue in file order, the header and obsolete entries included."""
    entries: list[Entry] = []
    flags: set[str] = set()
    references: list[str] = []
    parts: dict[str, str] = {}
    plural: dict[int, str] = {}
    current: str | None = None  # the keyword the last string belongs to
    obsolete = False
    start = 0

    def finish() -> None:
        nonlocal parts, plural, flags, references, current, obsolete, start
        if "msgid" in parts:
            msgstr = dict(plural) if plural else ({0: parts["msgstr"]} if "msgstr" in parts else {})
            entries.append(Entry(msgid=parts["msgid"], context=parts.get("msgctxt"),
                                 msgid_plural=parts.get("msgid_plural"), msgstr=msgstr,
                                 flags=frozenset(flags), references=tuple(references), obsolete=obsolete,
                                 line=start))
        elif parts or plural:
            raise ValueError(f"{source}:{start}: entry without msgid")
        parts, plural, flags, references, current, obsolete, start = {}, {}, set(), [], None, False, 0

    for number, raw in enumerate(text.splitlines(), start=1):
        where = f"{source}:{number}"
        line = raw.strip()
        is_obsolete = line.startswith("#~")
        if is_obsolete:
            line = line[2:].strip()
            if line.startswith("|"):  # "#~|": previous msgid of an obsolete fuzzy entry
                continue
        if not line:
            continue
        if line.startswith("#"):
            if current is not None and current.startswith("msgstr"):
                finish()  # comments open the next entry
            if line.startswith("#,"):
                flags.update(flag.strip() for flag in line[2:].split(",") if flag.strip())
            elif line.startswith("#:"):
                references.extend(line[2:].split())
            continue
        keyword = _KEYWORD.match(line)
        if keyword:
            name, index, quoted = keyword[1], keyword[2], keyword[3]
            base = "msgstr" if name.startswith("msgstr") else name
            if base in ("msgctxt", "msgid") and current is not None and current.startswith("msgstr"):
                finish()
            if not start:
                start = number
            obsolete = obsolete or is_obsolete
            value = _unquote(quoted, where)
            if index is not None:
                plural[int(index)] = value
                current = f"msgstr[{index}]"
            else:
                if name in parts:
                    raise ValueError(f"{where}: {name} twice in one entry")
                parts[name] = value
                current = name
            continue
        continued = _STRING.match(line)
        if continued and current is not None:
            value = _unquote(continued[1], where)
            if current.startswith("msgstr["):
                plural[int(current[7:-1])] += value
            else:
                parts[current] += value
            continue
        raise ValueError(f"{where}: cannot read {raw!r}")
    finish()
    return entries


def read(path: Path) -> list[Entry]:
    return parse(path.read_text(encoding="utf-8"), source=str(path))


def live(entries: list[Entry]) -> list[Entry]:
    """The entries gettext uses: not the header, not obsolete."""
    return [e for e in entries if not e.is_header and not e.obsolete]
