"""Compile the translation catalogues (`locale/*/LC_MESSAGES/*.po` → `.mo`) with Babel, in pure
Python, so that `make run`, `make test` and the image build need no GNU gettext. A catalogue is
compiled only when its `.po` is newer than its `.mo`."""

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]


def catalogue_paths(root: Path = ROOT) -> list[Path]:
    return sorted(
        path
        for path in root.glob("**/locale/*/LC_MESSAGES/*.po")
        if ".venv" not in path.parts and "node_modules" not in path.parts
    )


def catalogues_compile(root: Path = ROOT, *, force: bool = False) -> list[Path]:
    """Write each stale `.mo`; return the catalogues compiled. Fuzzy entries are left out, as
    gettext's own compiler does."""
    compiled = []
    for po in catalogue_paths(root):
        mo = po.with_suffix(".mo")
        if not force and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalogue = read_po(source)
        with mo.open("wb") as target:
            write_mo(target, catalogue, use_fuzzy=False)
        compiled.append(po)
    return compiled


if __name__ == "__main__":
    for path in catalogues_compile(force=True):
        print(f"compiled {path.relative_to(ROOT)}")
