"""The Vietnamese catalogues are complete, valid and up to date with the code.

* No entry of locale/vi/LC_MESSAGES/*.po is untranslated or fuzzy (gettext would show the English).
* msgfmt accepts each catalogue with its checks on (placeholders kept, header, plural forms).
* Every message the code marks for translation is in the catalogue, translated: makemessages runs on a
  copy of the project, together with django-simple-history, whose admin pages the operator uses and
  which ships no Vietnamese (its messages, and Django's that Django's Vietnamese lacks, are kept by hand
  in locale_thirdparty/, which makemessages never rewrites).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import simple_history
from django.conf import settings

from tests.i18n import po
from tests.i18n.english import django_catalogues

LOCALE = Path(settings.BASE_DIR) / "locale" / "vi" / "LC_MESSAGES"
THIRD_PARTY_LOCALE = Path(settings.BASE_DIR) / "locale_thirdparty" / "vi" / "LC_MESSAGES"
CATALOGUES = [*sorted(LOCALE.glob("*.po")), *sorted(THIRD_PARTY_LOCALE.glob("*.po"))]
# Copied for makemessages: the project's sources, not its environment or build products.
NOT_SOURCES = shutil.ignore_patterns(".venv", ".git", "var", "__pycache__", "*.mo", "*.pyc", "test-artifacts",
                                     ".pytest_cache", ".ruff_cache", ".hypothesis", "*.egg-info", "node_modules")
THIRD_PARTY = "third_party"


def not_ready(entries: list[po.Entry]) -> list[str]:
    """The live entries gettext would show in English: no translation, an empty plural form, fuzzy."""
    problems = []
    for entry in po.live(entries):
        if entry.fuzzy:
            problems.append(f"line {entry.line}: fuzzy: {entry.msgid!r}")
        elif not entry.translated:
            problems.append(f"line {entry.line}: untranslated: {entry.msgid!r}")
    return problems


def test_there_are_vietnamese_catalogues_for_python_and_for_the_admins_javascript():
    assert [str(path.relative_to(settings.BASE_DIR)) for path in CATALOGUES] == [
        "locale/vi/LC_MESSAGES/django.po",
        "locale_thirdparty/vi/LC_MESSAGES/django.po", "locale_thirdparty/vi/LC_MESSAGES/djangojs.po",
    ]


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(settings.BASE_DIR)))
def test_no_entry_is_untranslated_or_fuzzy(path: Path):
    problems = not_ready(po.read(path))
    assert not problems, f"{path.relative_to(settings.BASE_DIR)}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(settings.BASE_DIR)))
def test_msgfmt_accepts_the_catalogue_and_counts_what_the_reader_counts(path: Path):
    # msgfmt comes with gettext, which `make test` installs; --check compares every placeholder.
    result = subprocess.run(["msgfmt", "--check", "--statistics", "-o", os.devnull, str(path)],  # noqa: S603,S607
                            capture_output=True, text=True, env={**os.environ, "LC_ALL": "C"})
    assert result.returncode == 0, result.stderr
    # The reader above and gettext agree on what is in the file (and nothing is fuzzy or untranslated).
    translated = len(po.live(po.read(path)))
    assert result.stderr.strip() == f"{translated} translated message{'s' if translated != 1 else ''}."


def test_no_message_appears_twice():
    for path in CATALOGUES:
        keys = [(e.context, e.msgid) for e in po.live(po.read(path))]
        doubles = {key for key in keys if keys.count(key) > 1}
        assert not doubles, f"{path.name}: {sorted(doubles)}"
    # A message of our code kept in locale_thirdparty too would be translated twice, one hiding the other.
    ours, theirs = ({e.key for e in po.live(po.read(base / "django.po")) if not e.is_header}
                    for base in (LOCALE, THIRD_PARTY_LOCALE))
    assert not ours & theirs, sorted(ours & theirs)


def _extract(tmp_path: Path) -> list[po.Entry]:
    """What `makemessages -l vi` finds in a copy of the project (and of simple-history): the .pot."""
    project = tmp_path / "project"
    shutil.copytree(settings.BASE_DIR, project, ignore=NOT_SOURCES, symlinks=True)
    shutil.copytree(Path(simple_history.__file__).parent, project / THIRD_PARTY / "simple_history",
                    ignore=shutil.ignore_patterns("locale", "tests", "migrations", "__pycache__"))
    environment = {**os.environ, "VAR_DIR": str(tmp_path / "var"),
                   "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings_test")}
    subprocess.run([sys.executable, "manage.py", "makemessages", "-l", "vi", "--keep-pot", "--verbosity=0"],  # noqa: S603
                   cwd=project, env=environment, check=True, capture_output=True)
    return po.live(po.read(project / "locale" / "django.pot"))


def test_every_message_in_the_code_is_in_the_catalogue_and_translated(tmp_path: Path):
    ours = {entry.key: entry for path in (LOCALE / "django.po", THIRD_PARTY_LOCALE / "django.po")
            for entry in po.live(po.read(path))}
    django_vi = {entry.key for path in django_catalogues("vi") for entry in po.live(po.read(path))
                 if entry.translated}
    missing = []
    for entry in _extract(tmp_path):
        ours_done = entry.key in ours and ours[entry.key].translated
        # simple-history's messages may also be translated by Django's catalogue ("Home", "History").
        third_party = all(ref.startswith(f"{THIRD_PARTY}/") for ref in entry.references)
        if not ours_done and not (third_party and entry.key in django_vi):
            missing.append(f"{entry.msgid!r} ({', '.join(entry.references[:3])})")
    assert not missing, (
        "Messages in the code without a Vietnamese translation: run makemessages (README, Translations) "
        "and translate them in locale/vi/LC_MESSAGES/django.po:\n" + "\n".join(missing)
    )


# --- The reader itself ------------------------------------------------------------------------------

SAMPLE = r'''# A header comment.
msgid ""
msgstr ""
"Language: vi\n"
"Plural-Forms: nplurals=1; plural=0;\n"

#: casework/forms.py:12 casework/forms.py:40
#, python-format
msgid ""
"A long message over "
"two lines with a \"quote\" and %(name)s.\n"
msgstr ""
"Một thông báo dài "
"trên hai dòng với \"ngoặc\" và %(name)s.\n"

msgctxt "month"
msgid "May"
msgstr "Tháng Năm"

msgid "%(n)s night"
msgid_plural "%(n)s nights"
msgstr[0] "%(n)s đêm"

#, fuzzy
msgid "Guessed"
msgstr "Đoán"

msgid "Empty"
msgstr ""

msgid "One form"
msgid_plural "Many forms"
msgstr[0] ""

#~ msgid "Gone"
#~ msgstr "Đã bỏ"
'''


def test_the_reader_reads_long_strings_contexts_plurals_flags_and_obsolete_entries():
    entries = po.parse(SAMPLE)
    header, long, may, nights, guessed, empty, forms, gone = entries
    assert header.is_header
    assert long.msgid == 'A long message over two lines with a "quote" and %(name)s.\n'
    assert long.msgstr == {0: 'Một thông báo dài trên hai dòng với "ngoặc" và %(name)s.\n'}
    assert long.references == ("casework/forms.py:12", "casework/forms.py:40")
    assert long.flags == {"python-format"} and long.translated
    assert may.key == ("month", "May", False) and may.translated
    assert nights.key == (None, "%(n)s night", True) and nights.msgstr == {0: "%(n)s đêm"} and nights.translated
    assert guessed.fuzzy and not guessed.translated
    assert not empty.translated and not forms.translated
    assert gone.obsolete and gone not in po.live(entries)
    assert not_ready(entries) == ["line 25: fuzzy: 'Guessed'", "line 28: untranslated: 'Empty'",
                                  "line 31: untranslated: 'One form'"]


def test_the_reader_refuses_what_it_cannot_read():
    with pytest.raises(ValueError, match="cannot read"):
        po.parse('msgid "a"\nmsgstr "b"\ngarbage\n')
    with pytest.raises(ValueError, match="unescaped quote"):
        po.parse('msgid "a"b"\nmsgstr ""\n')
