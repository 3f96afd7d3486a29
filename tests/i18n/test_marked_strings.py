"""Messages are marked so that makemessages finds them.

xgettext recognises translation calls by name. A message translated through another name
(``from django.utils.translation import gettext as _g``) or built before it is translated
(``_(f"…")``) is never extracted, so it never reaches the catalogue and ships in English — which is how
the referral e-mail's subject did. The catalogue tests cannot see such messages; this reads the code.
"""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

# The names makemessages passes to xgettext (its defaults for Python, and Django's own keywords).
EXTRACTED = {"_", "gettext", "ngettext", "gettext_noop", "gettext_lazy", "ngettext_lazy", "pgettext",
             "npgettext", "pgettext_lazy", "npgettext_lazy"}
# Where the message is among the arguments: the context comes first for the p… functions.
MESSAGE_ARGUMENT = {"pgettext": 1, "npgettext": 1, "pgettext_lazy": 1, "npgettext_lazy": 1}
NOT_PROJECT_CODE = {".venv", "migrations", "tests", "var", ".git", "node_modules"}


def _project_modules() -> list[Path]:
    base = Path(settings.BASE_DIR)
    return [path for path in sorted(base.rglob("*.py"))
            if not NOT_PROJECT_CODE & set(path.relative_to(base).parts)]


def _aliases(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            for alias in node.names:
                name = alias.asname or alias.name
                # "_" is extracted as a one-argument message: only gettext and gettext_lazy may be it.
                renamed = name not in EXTRACTED or (name == "_" and alias.name not in ("gettext", "gettext_lazy"))
                if "gettext" in alias.name and renamed:
                    found.append(f"line {node.lineno}: {alias.name} as {name}")
    return found


def _built_messages(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in EXTRACTED:
            position = MESSAGE_ARGUMENT.get(node.func.id, 0)
            if len(node.args) <= position:
                continue
            message = node.args[position]
            formatted = isinstance(message, ast.Call) and isinstance(message.func, ast.Attribute) \
                and message.func.attr == "format"
            if isinstance(message, ast.JoinedStr | ast.BinOp) or formatted:
                found.append(f"line {node.lineno}: {ast.unparse(node)[:80]}")
    return found


def test_translation_functions_keep_names_makemessages_knows():
    base = Path(settings.BASE_DIR)
    found = [f"{path.relative_to(base)} {problem}" for path in _project_modules()
             for problem in _aliases(ast.parse(path.read_text(), str(path)))]
    assert not found, "Translation functions under names makemessages does not extract:\n" + "\n".join(found)


def test_no_message_is_built_before_it_is_translated():
    base = Path(settings.BASE_DIR)
    found = [f"{path.relative_to(base)} {problem}" for path in _project_modules()
             for problem in _built_messages(ast.parse(path.read_text(), str(path)))]
    assert not found, "Translate the template, then format it (_(\"… %(x)s\") % {...}):\n" + "\n".join(found)


def test_the_checks_see_an_alias_and_a_built_message():
    code = ast.parse(
        "from django.utils.translation import gettext as _g\n"
        "from django.utils.translation import ngettext as n_\n"
        "from django.utils.translation import gettext_lazy as _, gettext_noop\n"
        "x = _(f'Hello {name}')\n"
        "y = _('Hello ' + name)\n"
        "z = _('Hello {}'.format(name))\n"
        "w = _('Hello %(name)s') % {'name': name}\n"
        "v = pgettext('month', f'{m}')\n"
    )
    assert _aliases(code) == ["line 1: gettext as _g", "line 2: ngettext as n_"]
    assert [problem.split(":")[0] for problem in _built_messages(code)] == ["line 4", "line 5", "line 6", "line 8"]
