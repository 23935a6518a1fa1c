"""The manual stays true: every CLI command, option and setting is in the generated references, the hand-written
pages name no command or option that does not exist, and the README stays short."""

from __future__ import annotations

import dataclasses
import importlib.util
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README_MAX_LINES = 150


def _docsgen():
    spec = importlib.util.spec_from_file_location("docsgen", ROOT / "tools" / "docsgen.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


docsgen = _docsgen()


def _sections(md: str) -> dict[str, str]:
    """'longdoc x y' → its section of the CLI reference."""
    out, name, buf = {}, None, []
    for line in md.splitlines():
        m = re.match(r"^## (longdoc(?: [\w-]+)*) \{#", line)
        if m:
            if name:
                out[name] = "\n".join(buf)
            name, buf = m.group(1), []
        elif name:
            buf.append(line)
    if name:
        out[name] = "\n".join(buf)
    return out


def _options(cmd) -> set[str]:
    return {o for p in cmd.params if getattr(p, "param_type_name", "") == "option"
            for o in list(p.opts) + list(p.secondary_opts)}


def test_readme_is_short():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines (at most {README_MAX_LINES}): move sections into docs/"


def test_every_command_and_option_is_in_the_cli_reference():
    md = docsgen.cli_markdown()
    sections = _sections(md)
    commands = list(docsgen.walk_commands())
    assert len(commands) >= 20  # the walk found the app (ingest, ask, … and the groups' subcommands)
    for path, cmd in commands:
        name = " ".join(("longdoc",) + path)
        assert name in sections, f"{name} is not in the CLI reference"
        assert (cmd.help or "").strip(), f"{name} has no help text"
        for opt in _options(cmd):
            assert f"`{opt}`" in sections[name], f"{name} {opt} is not in the CLI reference"
        for p in cmd.params:
            if getattr(p, "param_type_name", "") == "argument":
                assert (p.metavar or p.name).upper() in sections[name], f"{name}: argument {p.name} missing"
    for opt in _options(docsgen.click_root()):
        assert f"`{opt}`" in md.split("## Commands")[0], f"global option {opt} is not in the CLI reference"


def test_every_setting_is_in_the_settings_reference_with_help():
    from app.config import Settings

    md = docsgen.settings_markdown()
    env = docsgen.env_names()
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `(LONGDOC_\w+)` \|.*$", md, re.M)}
    for f in dataclasses.fields(Settings):
        var = env[f.name]
        assert var in rows, f"{var} ({f.name}) is not in the settings reference"
        help_cell = rows[var].rstrip(" |").rsplit(" | ", 1)[-1].strip()
        assert help_cell, f"{var} ({f.name}) has no help: add a comment (or metadata['help']) to its field in app/config.py"


def test_every_catalog_entry_is_in_the_models_page_with_its_source_and_date():
    md = docsgen.models_markdown()
    cat = docsgen.catalog()
    for key, m in cat["models"].items():
        row = next((line for line in md.splitlines() if line.startswith(f"| `{key}` |")), None)
        assert row, f"{key} is not in the models page"
        assert m.get("read", "") in row and m.get("read"), f"{key}: its read date is missing"
        assert m.get("source"), f"{key} has no source in model/catalog.json"


# ---- the hand-written pages name only what exists -------------------------------------------------------------

_CODE = re.compile(r"```.*?```|`[^`\n]+`", re.S)


def _hand_written() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def _invocations(text: str):
    """Each `longdoc …` command line in the code of a page: (words after `longdoc`, the line)."""
    for block in _CODE.findall(text):
        for line in block.strip("`").splitlines():
            line = line.split(" # ")[0].split("\t#")[0]
            for part in re.split(r"\s(?:\||&&|;)\s|\$\(|\)", line):
                for m in re.finditer(r"(?:^|[\s(`])longdoc((?: +[^\s]+)*)", part):
                    yield m.group(1).split(), line


def _check(words: list[str], root, globals_: set[str]):
    """None if `longdoc WORDS…` names a command (and options) that exist, else why not."""
    i = 0
    while i < len(words) and words[i].startswith("--"):  # global options and their values
        opt = words[i].split("=")[0]
        if opt not in globals_ | {"--help"}:
            return f"no global option {opt}"
        i += 1 if "=" in words[i] or opt == "--help" else 2
    if i >= len(words) or not re.match(r"^[a-z][a-z-]*(\|[a-z][a-z-]*)*$", words[i]):
        return None  # `longdoc` alone, or prose such as "longdoc COMMAND"
    cmd = None
    for name in words[i].split("|"):  # `longdoc ask|context|search …`
        cmd = root.get_command(root.context_class(root, info_name="longdoc"), name)
        if cmd is None:
            return f"no command 'longdoc {name}'"
    i += 1
    path = [words[i - 1]]
    while hasattr(cmd, "list_commands") and i < len(words) and re.match(r"^[a-z][a-z-]*(\|[a-z][a-z-]*)*$", words[i]):
        sub = None
        for name in words[i].split("|"):  # `user list|remove|passwd`
            sub = cmd.get_command(cmd.context_class(cmd, info_name=name), name)
            if sub is None:
                return f"no command 'longdoc {' '.join(path)} {name}'"
        cmd, i = sub, i + 1
        path.append(words[i - 1])
    allowed = _options(cmd) | globals_ | {"--help"}
    for w in words[i:]:
        w = w.strip("[]()")
        if re.match(r"^--[a-z][a-z-]*", w):
            opt = w.split("=")[0].split("|")[0].rstrip(",.;:")
            if opt not in allowed:
                return f"'longdoc {' '.join(path)}' has no option {opt}"
    return None


def test_hand_written_pages_name_only_existing_commands_and_options():
    root = docsgen.click_root()
    globals_ = _options(root)
    problems, seen = [], 0
    for page in _hand_written():
        for words, line in _invocations(page.read_text(encoding="utf-8")):
            seen += 1
            why = _check(words, root, globals_)
            if why:
                problems.append(f"{page.relative_to(ROOT)}: {why}: {line.strip()}")
    assert seen > 50  # the pages were read
    assert not problems, "\n".join(problems)


def test_the_checker_catches_a_made_up_command():
    root = docsgen.click_root()
    g = _options(root)
    assert _check(shlex.split('ask "q" --docs X --json'), root, g) is None
    assert _check(shlex.split("--home /d matter create acme"), root, g) is None
    assert _check(shlex.split("frobnicate x"), root, g)
    assert _check(shlex.split("matter explode acme"), root, g)
    assert _check(shlex.split('ask "q" --no-such-option'), root, g)


def test_every_page_is_in_the_nav():
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for page in (ROOT / "docs").rglob("*.md"):
        rel = page.relative_to(ROOT / "docs").as_posix()
        assert rel in nav, f"docs/{rel} is not in mkdocs.yml's nav"
    for rel in docsgen.PAGES:
        assert rel in nav and not (ROOT / "docs" / rel).exists(), f"{rel} is generated: in the nav, never committed"


def test_the_site_builds_strict(tmp_path):
    pytest.importorskip("mkdocs")
    r = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(tmp_path / "site")],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    cli = (tmp_path / "site" / "reference" / "cli.html").read_text(encoding="utf-8")
    assert "longdoc ingest" in cli and "longdoc matter create" in cli
    assert "LONGDOC_HOME" in (tmp_path / "site" / "reference" / "settings.html").read_text(encoding="utf-8")
