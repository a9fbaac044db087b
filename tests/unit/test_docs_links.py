"""The repository stands on its own: every relative link in its Markdown files resolves to a
file (and heading) inside the repository, and nothing points at material users do not have."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKIP_DIRS = {".venv", ".git", "build", "node_modules"}
LINK = re.compile(r"(?<!\!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
CODE = re.compile(r"`[^`\n]*`")
# The team's reference files, which users do not have: what they need is in docs/.
TEAM_ONLY = ("shared/spec", "00-decisions", "10-rest.md", "20-tracking.md", "30-reporting.md",
             "40-admin.md")


def markdown_files() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.md")
                  if not SKIP_DIRS & set(p.relative_to(ROOT).parts) and not
                  any(part.endswith(".egg-info") for part in p.relative_to(ROOT).parts))


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to dashes."""
    text = heading.strip().lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    return {slug(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.+?)\s*#*$", text, re.M)}


def links(path: Path) -> list[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    return LINK.findall(CODE.sub("", text))


def test_slug_follows_github() -> None:
    assert slug("Admin plane (`/_mockpace`)") == "admin-plane-_mockpace"
    assert slug("1. Surfaces and paths") == "1-surfaces-and-paths"


def test_the_docs_exist() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in markdown_files()}
    assert {"README.md", "docs/admin.md", "docs/emulation.md", "docs/decisions.md"} <= names


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_resolve_inside_the_repository(path: Path) -> None:
    problems = []
    for target in links(path):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
            continue  # an absolute URL (https:, mailto:) is not a file of the repository
        file_part, _, anchor = target.partition("#")
        resolved = (path.parent / file_part).resolve() if file_part else path
        if not resolved.is_relative_to(ROOT):
            problems.append(f"{target}: leaves the repository")
        elif not resolved.exists():
            problems.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            problems.append(f"{target}: no heading #{anchor} in {resolved.name}")
    assert problems == []


def test_nothing_refers_to_the_team_only_spec_folder() -> None:
    offenders = []
    for path in ROOT.rglob("*"):
        parts = set(path.relative_to(ROOT).parts)
        if SKIP_DIRS & parts or path.suffix not in {".md", ".py", ".toml", ".yaml", ".txt"}:
            continue
        if path.resolve() == Path(__file__).resolve():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if any(name in text for name in TEAM_ONLY):
            offenders.append(path.relative_to(ROOT).as_posix())
    assert offenders == []
