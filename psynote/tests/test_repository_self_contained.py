"""The repository stands on its own.

1. No tracked file points at documents that live outside the repository (the project's
   private background notes): a reader must be able to follow every citation from a
   clone. Clinical and legal facts cite their public source, or a page under docs/.
   What users read (templates, instrument files) names the public document behind any
   section sign: "45 CFR 164.526(f)", never a bare "§5" that points at nothing they have.
2. Every pointer of the form docs/<file>.md#<anchor>, and every relative Markdown link
   with an anchor in a .md file, lands on a heading of that file (GitHub's slug rules).

The forbidden names are assembled from pieces so that this file does not match itself.
"""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FORBIDDEN = (
    "DOMAIN" + ".md",
    "DESIGN" + ".md",
    ".." + "/shared",
    "/work" + "/shared",
)
SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".bench",
             ".pytest_cache", ".ruff_cache", ".mypy_cache", ".hypothesis"}

# docs/<path>.md#<anchor>, not preceded by a path character (so ../docs/... is not read
# as rooted at the repository).
DOCS_POINTER = re.compile(r"(?<![\w./-])(docs/[\w./-]+?\.md)#([\w-]+)")
# A Markdown link target with an anchor: [text](path.md#anchor) or [text](#anchor).
MD_LINK = re.compile(r"\]\(([^)\s#]*)#([^)\s]+)\)")
FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
HTML_ANCHOR = re.compile(r"""<a\s+(?:name|id)=["']([^"']+)["']""")


def tracked_files() -> list[Path]:
    """Files git tracks (plus new files not ignored); a plain walk when git is absent."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT, capture_output=True, check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return [
            path for path in ROOT.rglob("*")
            if path.is_file() and not SKIP_DIRS & set(path.relative_to(ROOT).parts)
        ]
    paths = (ROOT / name for name in out.decode().split("\0") if name)
    return sorted(path for path in paths if path.is_file())


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def text_of(path: Path) -> str | None:
    data = path.read_bytes()
    if b"\0" in data:
        return None  # binary
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: link text kept, lower case, punctuation dropped
    (letters, digits, _, - and spaces stay), spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # [text](url) -> text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML tags
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    """Every anchor a Markdown file defines: headings outside code fences (repeats get
    -1, -2, ... as on GitHub) and explicit <a id/name> anchors."""
    found: set[str] = set(HTML_ANCHOR.findall(markdown))
    seen: dict[str, int] = {}
    fenced = False
    for line in markdown.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        match = None if fenced else HEADING.match(line)
        if match:
            base = slug(match.group(2))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return found


def test_slug_follows_github_rules():
    assert slug("CPT psychotherapy codes") == "cpt-psychotherapy-codes"
    assert slug("Risk assessment (SAFE-T)") == "risk-assessment-safe-t"
    assert slug("42 CFR Part 2 notice") == "42-cfr-part-2-notice"
    assert slug("Instrument scoring, bands and cut-offs") == "instrument-scoring-bands-and-cut-offs"
    assert slug("The `chart` app") == "the-chart-app"
    text = "# A\n## Same\n```sh\n# not a heading\n```\n## Same\n"
    assert anchors(text) == {"a", "same", "same-1"}


def test_no_file_points_outside_the_repository():
    hits = []
    for path in tracked_files():
        text = text_of(path)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            for name in FORBIDDEN:
                if name in line:
                    where = path.relative_to(ROOT)
                    hits.append(f"{where}:{number}: {name!r}: {line.strip()[:120]}")
    assert not hits, (
        "cite the public source or a page under docs/ instead (docs/clinical-sources.md):\n"
        + "\n".join(hits)
    )


def test_every_docs_anchor_pointer_resolves():
    cache: dict[Path, set[str] | None] = {}

    def anchors_of(target: Path) -> set[str] | None:
        if target not in cache:
            exists = target.is_file()
            cache[target] = anchors(target.read_text(encoding="utf-8")) if exists else None
        return cache[target]

    broken = []
    checked = 0
    for path in tracked_files():
        text = text_of(path)
        if text is None:
            continue
        where = path.relative_to(ROOT)
        for number, line in enumerate(text.splitlines(), start=1):
            pointers = [(ROOT / file, anchor) for file, anchor in DOCS_POINTER.findall(line)]
            if path.suffix == ".md":
                for file, anchor in MD_LINK.findall(line):
                    if file == "" or file.endswith(".md"):
                        target = path if file == "" else (path.parent / file)
                        pointers.append((target.resolve(), anchor))
            for target, anchor in pointers:
                checked += 1
                found = anchors_of(target)
                if found is None:
                    broken.append(f"{where}:{number}: no such file {shown(target)}")
                elif anchor not in found:
                    broken.append(
                        f"{where}:{number}: {shown(target)} has no heading "
                        f"for #{anchor}"
                    )
    assert checked, "no docs pointer found at all: the pattern is wrong"
    assert not broken, "\n".join(broken)


# A section sign in what users read must follow the name of a public document.
SECTION = re.compile(r"§\s*\d")
PUBLIC_CODES = ("CFR", "C.F.R", "U.S.C", "RFC", "Part ", "HIPAA", "ISO ", "WCAG")


def test_user_facing_text_names_the_public_source_of_a_section():
    bare = []
    for path in tracked_files():
        parts = path.relative_to(ROOT).parts
        user_facing = path.suffix == ".html" or (
            path.suffix == ".json" and "instruments" in parts
        )
        if not user_facing or "tests" in parts:
            continue
        text = text_of(path) or ""
        for match in SECTION.finditer(text):
            before = text[max(0, match.start() - 40) : match.start()]
            if not any(code in before for code in PUBLIC_CODES):
                line = text.count("\n", 0, match.start()) + 1
                bare.append(f"{path.relative_to(ROOT)}:{line}: {before[-20:]}{match.group()}")
    assert not bare, "name the public document the section is in:\n" + "\n".join(bare)
