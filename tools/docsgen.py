"""The manual's generated pages, made from the code itself (no network, no model).

- `cli_markdown()`: every command of the typer app (`longdoc …`), its arguments, options and help;
- `settings_markdown()`: every field of `app.config.Settings` with its LONGDOC_* variable, default and help;
- `models_markdown()`: the models and prices of `model/catalog.json`, with the source and read date of each entry.

`tools/mkdocs_hooks.py` adds them to the site at build time (`make docs`), so no copy is committed to drift;
`tests/test_docs.py` checks every command and setting is there. `python tools/docsgen.py cli|settings|models`
prints one page.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import io
import json
import re
import sys
import textwrap
import tokenize
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Where the typer app lives: the wings' path first (app/faces/cli), today's path second.
CLI_MODULES = ("app.faces.cli", "app.cli")


def typer_app():
    """The `longdoc` typer app (`cli` in the first of CLI_MODULES that imports)."""
    errors = []
    for name in CLI_MODULES:
        try:
            return importlib.import_module(name).cli
        except ModuleNotFoundError as e:
            if e.name and not name.startswith(e.name) and e.name != name:
                raise  # the module exists but something it imports does not: a real error
            errors.append(f"{name}: {e}")
    raise ImportError("no typer app found: " + "; ".join(errors))


def click_root():
    import typer

    return typer.main.get_command(typer_app())


def walk_commands(group=None, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(path, click command) for every command and group under the root, in the order `--help` lists them.
    Goes through `get_command` (not `.commands`) so that options added on lookup (`--matter`) are included."""
    group = group if group is not None else click_root()
    ctx = _ctx(group, " ".join(("longdoc",) + path))
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        if cmd is None or getattr(cmd, "hidden", False):
            continue
        yield path + (name,), cmd
        if _is_group(cmd):
            yield from walk_commands(cmd, path + (name,))


# typer ≥ 0.2x carries its own copy of click (typer._click): classes are recognised by what they do, not by
# click's class names.
def _is_group(cmd) -> bool:
    return hasattr(cmd, "list_commands")


def _ctx(cmd, info_name: str):
    return cmd.context_class(cmd, info_name=info_name)


def _is_argument(p) -> bool:
    return getattr(p, "param_type_name", "") == "argument"


def _is_option(p) -> bool:
    return getattr(p, "param_type_name", "") == "option"


def command_paths() -> list[str]:
    return [" ".join(p) for p, _ in walk_commands()]


def _cell(text: Any) -> str:
    """One table cell: one line, pipes escaped, and `<…>` outside code spans shown as text, not taken for HTML."""
    parts = " ".join(str(text).split()).split("`")
    parts = [p if i % 2 else p.replace("<", "&lt;").replace(">", "&gt;") for i, p in enumerate(parts)]
    return "`".join(parts).replace("|", "\\|")


def _default(param) -> str:
    if getattr(param, "is_flag", False) and not getattr(param, "secondary_opts", None):
        return "off" if not param.default else "on"
    d = param.default
    if d is None or d == () or d == []:
        return ""
    if callable(d):
        return ""
    if isinstance(d, bool):
        names = param.opts if d else (param.secondary_opts or param.opts)
        return f"`{names[0]}`"
    if isinstance(d, (list, tuple)):
        return ", ".join(f"`{x}`" for x in d)
    return f"`{d}`"


def _type(param) -> str:
    """What the parameter takes: choices, a flag, or its type (click's `type`, or typer's annotation)."""
    if getattr(param, "is_flag", False):
        return "flag"
    t = getattr(param, "type", None)
    if t is not None:
        if hasattr(t, "choices"):
            return "|".join(map(str, t.choices))
        name = getattr(t, "name", "") or ""
    else:
        ann = getattr(getattr(param, "type_descriptor", None), "annotation", None)
        args = getattr(ann, "__args__", None)
        if getattr(ann, "__origin__", None) in (list, tuple) and args:
            ann = args[0]
        if isinstance(ann, type) and issubclass(ann, __import__("enum").Enum):
            return "|".join(str(m.value) for m in ann)
        name = getattr(ann, "__name__", str(ann or ""))
    name = {"str": "text", "int": "integer", "float": "number", "bool": "flag", "Path": "path"}.get(name, name)
    lo, hi = getattr(param, "min", None), getattr(param, "max", None)
    if lo is not None or hi is not None:
        name += f" ({'' if lo is None else lo}–{'' if hi is None else hi})"
    return name


def _help(cmd) -> str:
    return inspect.cleandoc(cmd.help or "") if cmd.help else ""


def cli_markdown() -> str:
    """The CLI reference, from the typer app."""
    root = click_root()
    lines = [
        "# CLI reference",
        "",
        "<!-- generated by tools/docsgen.py from the typer app at build time: do not edit -->",
        "",
        f"{_help(root)}",
        "",
        "Global options go before the command (`longdoc --home DIR COMMAND …`); `--matter NAME` works before or after "
        "any command that acts in a matter. Every command takes `--help`. Tasks and examples: [Using longdoc](../usage.md).",
        "",
    ]
    lines += _params_md(root, "Global options")
    lines += ["", "## Commands", ""]
    for path, cmd in walk_commands():
        first = " ".join(_help(cmd).split("\n\n")[0].split())
        anchor = "-".join(("longdoc",) + path)
        lines.append(f"- [`longdoc {' '.join(path)}`](#{anchor}) — {first}")
    for path, cmd in walk_commands():
        full = " ".join(("longdoc",) + path)
        lines += ["", f"## {full} {{#{full.replace(' ', '-')}}}", ""]
        usage = " ".join(cmd.collect_usage_pieces(_ctx(cmd, full)))
        usage = re.sub(r"\{(\w+)\}", lambda m: m.group(1).upper(), usage)
        usage = re.sub(r"\[(\w+)\]", lambda m: "[" + m.group(1).upper() + "]", usage)
        lines += ["```", f"{full} {usage}".rstrip(), "```", ""]
        if _help(cmd):
            lines += [_help(cmd), ""]
        if _is_group(cmd):
            subs = [" ".join(p) for p, _ in walk_commands(cmd, path)]
            subs = [s for s in subs if s.count(" ") == len(path)]
            lines += ["Subcommands: " + ", ".join(f"`longdoc {s}`" for s in subs), ""]
        lines += _params_md(cmd, None)
    return "\n".join(lines).rstrip() + "\n"


def _params_md(cmd, title: str | None) -> list[str]:
    args = [p for p in cmd.params if _is_argument(p)]
    opts = [p for p in cmd.params if _is_option(p) and not getattr(p, "hidden", False)]
    out: list[str] = []
    if title:
        out += [f"## {title}", ""]
    if args:
        out += ["| argument | type | required | help |", "|---|---|---|---|"]
        for p in args:
            name = (p.metavar or p.name or "").upper()
            if p.nargs != 1:
                name += "…"
            out.append(f"| `{name}` | {_cell(_type(p))} | {'yes' if p.required else 'no'} | {_cell(getattr(p, 'help', '') or '')} |")
        out.append("")
    if opts:
        out += ["| option | type | default | help |", "|---|---|---|---|"]
        for p in opts:
            names = " / ".join(f"`{o}`" for o in list(p.opts) + list(p.secondary_opts))
            out.append(f"| {names} | {_cell(_type(p))} | {_cell(_default(p))} | {_cell(p.help or '')} |")
        out.append("")
    return out


# ---- settings ------------------------------------------------------------------------------------------------


def _config():
    return importlib.import_module("app.config")


def env_names() -> dict[str, str]:
    """field name → environment variable."""
    config = _config()
    names = {f.name: "LONGDOC_" + f.name.upper() for f in dataclasses.fields(config.Settings)}
    names.update(getattr(config, "_ENV_MAP", {}))
    return names


def _settings_source() -> list[str]:
    return textwrap.dedent(inspect.getsource(_config().Settings)).splitlines()


SECTION_NOTES: dict[str, str] = {}  # section → what its opening comment says after the ':' (filled by _declarations)


def _declarations() -> list[tuple[str, str, str]]:
    """(field, section, help) in declaration order, as config.py writes them: the first line of a comment block
    after a blank line opens a section (`# ingest`, `# jobs (app/jobs.py): with no broker …` — the part after ':'
    describes the section); other comment lines right above a field, and the comment on its line, are its help."""
    src = _settings_source()
    comments: dict[int, str] = {}
    for tok in tokenize.generate_tokens(io.StringIO("\n".join(src) + "\n").readline):
        if tok.type == tokenize.COMMENT:
            comments[tok.start[0]] = tok.string.lstrip("#").strip()
    out, section, pending = [], "", []
    after_blank = True
    start = next(i for i, line in enumerate(src) if line.startswith("class "))
    for n, line in enumerate(src, 1):
        s = line.strip()
        if n <= start + 1:
            continue
        if not s:
            after_blank, pending = True, []
            continue
        if s.startswith("#"):
            text = comments.get(n, s.lstrip("#").strip())
            if after_blank:
                section, _, rest = text.partition(":")
                section = re.sub(r"\s*\(.*?\)", "", section).strip()
                SECTION_NOTES[section] = rest.strip()
            else:
                pending.append(text)
            after_blank = False
            continue
        after_blank = False
        node = ast.parse(s) if re.match(r"^\w+\s*:", s) and not s.startswith(("def ", "class ")) else None
        if node and node.body and isinstance(node.body[0], ast.AnnAssign):
            name = node.body[0].target.id  # type: ignore[attr-defined]
            out.append((name, section, "; ".join(x for x in (comments.get(n, ""), " ".join(pending)) if x)))
        elif s.startswith(("def ", "@")):
            break
        pending = []
    return out


def field_comments() -> dict[str, str]:
    """The help of each Settings field: `field.metadata["help"]` where given, else its comment in config.py."""
    config = _config()
    out = {name: re.sub(r"^LONGDOC_\w+: |\s*\(issue \d+\)", "", text) for name, _, text in _declarations()}
    for f in dataclasses.fields(config.Settings):
        if f.metadata.get("help"):
            out[f.name] = str(f.metadata["help"])
    return out


def _field_default(f) -> str:
    if f.default is not dataclasses.MISSING:
        d = f.default
    elif f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        d = f.default_factory()  # type: ignore[misc]
        if isinstance(d, Path) and d.parent == Path.cwd():
            return f"`./{d.name}`"
    else:
        return "required"
    if d is None:
        return "unset"
    if isinstance(d, bool):
        return "`true`" if d else "`false`"
    return f"`{d}`"


def settings_markdown() -> str:
    """The settings reference, from `Settings`."""
    config = _config()
    env = env_names()
    helps = field_comments()
    groups = {name: section for name, section, _ in _declarations()}
    secret = set(getattr(config, "_SECRET_FIELDS", ()))
    lines = [
        "# Settings reference",
        "",
        "<!-- generated by tools/docsgen.py from app/config.py (Settings) at build time: do not edit -->",
        "",
        "Every setting is a field of `Settings` in `app/config.py`, read once from defaults < `.env` in the working "
        "directory < environment (`LONGDOC_*`) < command-line flags, then passed down. Booleans read `1`, `true`, "
        "`yes` or `on` as true. Also read: `DEEPSEEK_API_KEY` and `COMETAPI_KEY` when `LONGDOC_API_KEY` is unset "
        "(a key alone, with no backend named, selects DeepSeek's API, or CometAPI's for `COMETAPI_KEY`), and "
        "`LONGDOC_PRICES_FILE`, the old name of `LONGDOC_CATALOG_FILE`.",
        "",
    ]
    current = None
    for f in dataclasses.fields(config.Settings):
        g = groups.get(f.name, "")
        head = g or "other"
        if head != current:
            current = head
            title = head.upper() if len(head) <= 3 else head[:1].upper() + head[1:]
            note = SECTION_NOTES.get(head, "")
            note = [re.sub(r"\s*\(issue \d+\)", "", note[:1].upper() + note[1:]) + ".", ""] if note else []
            lines += ["", f"## {title}", ""] + note + ["| variable | field | default | help |", "|---|---|---|---|"]
        note = helps.get(f.name, "")
        if f.name in secret:
            note = (note + " — secret: never printed or logged.").strip(" —") if note else "secret: never printed or logged."
        lines.append(f"| `{env[f.name]}` | `{f.name}` | {_cell(_field_default(f))} | {_cell(note)} |")
    return "\n".join(lines).rstrip() + "\n"


# ---- models ---------------------------------------------------------------------------------------------------


def catalog() -> dict:
    return json.loads((ROOT / "model" / "catalog.json").read_text(encoding="utf-8"))


def _price(p: dict | None, key: str) -> str:
    if not p:
        return "unknown"
    v = p.get(key)
    return "unknown" if v is None else f"{v:g}"


def _window(v) -> str:
    return f"{v:,}" if isinstance(v, int) else ""


def _sources(s: str) -> str:
    parts = [x.strip() for x in str(s or "").split(" ; ") if x.strip()]
    return "<br>".join(f"<{x}>" if x.startswith("http") and " " not in x else _cell(x) for x in parts)


def models_markdown() -> str:
    """Models and prices, from model/catalog.json."""
    cat = catalog()
    lines = [
        "# Models and prices",
        "",
        "<!-- generated by tools/docsgen.py from model/catalog.json at build time: do not edit -->",
        "",
        _cell(cat.get("_about", "")),
        "",
        "Prices: USD per 1M tokens (input at the cache-hit price, input at the cache-miss price, output); *unknown* is "
        "shown as *price unknown*, never as $0. How longdoc uses these facts: [Models](../models.md).",
        "",
        "## Providers",
        "",
        "| provider | hosts | peak hours | source | read |",
        "|---|---|---|---|---|",
    ]
    for name, p in cat.get("providers", {}).items():
        peak = (p.get("peak") or {}).get("label") or p.get("note", "")
        lines.append(f"| `{name}` | {', '.join(f'`{h}`' for h in p.get('hosts', [])) or '—'} | {_cell(peak)} | "
                     f"{_sources(p.get('source', '')) or '—'} | {p.get('read', '—')} |")
    lines += [
        "",
        "## Models",
        "",
        "Keys are `provider/model` in lower case; `*/…` is any self-hosted server.",
        "",
        "| key | window | max output | tokenizer | thinking | prices (hit / miss / output) | status | source | read |",
        "|---|---:|---:|---|---|---|---|---|---|",
    ]
    for key, m in cat.get("models", {}).items():
        th = m.get("thinking") or {}
        thinking = th.get("style", "")
        if th.get("efforts"):
            thinking += f" (effort {'/'.join(th['efforts'])})"
        if th.get("style") and th.get("style") != "none":
            thinking += ", on by default" if th.get("default_on") else ""
        prices = m.get("prices")
        if "alias_of" in m:
            price_txt = f"as `{m['alias_of']}`"
        elif isinstance(prices, dict) and "flat" in prices:
            f = prices["flat"]
            price_txt = " / ".join(_price(f, k) for k in ("input_cache_hit", "input_cache_miss", "output"))
        elif isinstance(prices, dict):
            price_txt = "<br>".join(
                f"{label}: " + " / ".join(_price(prices.get(rate), k) for k in ("input_cache_hit", "input_cache_miss", "output"))
                for rate, label in (("off_peak", "off-peak"), ("peak", "peak")) if rate in prices)
        else:
            price_txt = "—" if ("retired" in m) else "unknown"
        status = []
        if m.get("alias_of"):
            status.append(f"alias of `{m['alias_of']}`")
        if m.get("retired"):
            status.append(f"retired {m['retired']} → `{m.get('replacement', '')}`" + (" with thinking" if m.get("replacement_thinking") else ""))
        if m.get("deprecated"):
            status.append(f"deprecated {m['deprecated']} → `{m.get('replacement', '')}`" + (" with thinking" if m.get("replacement_thinking") else ""))
        if m.get("served_by"):
            status.append(f"served by {m['served_by']}")
        lines.append(
            f"| `{key}` | {_window(m.get('context_window'))} | {_window(m.get('max_output'))} | {m.get('tokenizer', '')} | "
            f"{_cell(thinking)} | {price_txt} | {_cell('; '.join(status))} | {_sources(m.get('source', ''))} | {m.get('read', '')} |")
    notes = [(k, m["note"]) for k, m in cat.get("models", {}).items() if m.get("note")]
    if notes:
        lines += ["", "## Notes", ""]
        lines += [f"- `{k}`: {_cell(n)}" for k, n in notes]
    return "\n".join(lines).rstrip() + "\n"


# ---- benchmark results -----------------------------------------------------------------------------------------


def _committed(path: Path) -> str:
    """The date the file was last committed (git), or "" outside a git checkout."""
    import subprocess

    try:
        r = subprocess.run(["git", "log", "-1", "--format=%cs", "--", str(path.relative_to(ROOT))], cwd=ROOT,
                           capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return ""
    return r.stdout.strip() if r.returncode == 0 else ""


def bench_results_markdown() -> str:
    """A table of bench/results/*.json: when each was last committed, and the machine it records."""
    rows = ["| results file | last committed | machine (as recorded) |", "|---|---|---|"]
    for path in sorted((ROOT / "bench" / "results").glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        machine = ""
        if isinstance(data, dict):
            machine = str(data.get("machine") or (f"{data['cpus']} CPUs" if data.get("cpus") else ""))
            load = data.get("load_average_at_end")
            if isinstance(load, list) and load:
                machine += ", load average at the end " + " / ".join(f"{x:.1f}" for x in load)
        rows.append(f"| `bench/results/{path.name}` | {_committed(path) or '—'} | {_cell(machine.strip(', ')) or '—'} |")
    return "\n".join(rows) + "\n"


MARKERS = {"<!-- generated: bench-results -->": bench_results_markdown}


PAGES = {
    "reference/cli.md": cli_markdown,
    "reference/settings.md": settings_markdown,
    "reference/models.md": models_markdown,
}


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "cli"
    sys.stdout.write({"cli": cli_markdown, "settings": settings_markdown, "models": models_markdown}[which]())
