"""docs/architecture.md stays current: every top-level package under psynote/ is named in it."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def top_level_packages() -> list[str]:
    return sorted(
        path.parent.name for path in (ROOT / "psynote").glob("*/__init__.py")
    )


def test_every_top_level_app_is_in_the_architecture_doc():
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [name for name in top_level_packages() if f"`{name}`" not in doc]
    assert not missing, f"docs/architecture.md does not describe: {', '.join(missing)}"


def test_the_architecture_doc_names_only_packages_that_exist():
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    rows = [line.split("|")[1].strip().strip("`") for line in doc.splitlines()
            if line.startswith("| `")]
    gone = [name for name in rows if not (ROOT / "psynote" / name / "__init__.py").exists()]
    assert not gone, f"docs/architecture.md lists apps that no longer exist: {gone}"
