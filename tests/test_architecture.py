"""Apps depend downward only (docs/architecture.md). The domain layer of an app (its models,
services, selectors and pure logic) may import only the apps listed before it; adapters (api.py,
views.py, urls.py, admin.py, forms.py, management commands, demo data) may also use the request
plumbing (`api`, `web`, `accounts`)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "gatehouse"
# Lowest first. An app may import those before it.
ORDER = [
    "lib",
    "core",
    "places",
    "people",
    "accounts",
    "alerts",
    "observation",
    "passes",
    "returnees",
    "gate",
    "devices",
    "volunteers",
]
LEAVES = {"api", "web", "demo", "worker"}  # nothing in the domain layer imports these
ADAPTERS = {
    "api.py",
    "views.py",
    "urls.py",
    "admin.py",
    "forms.py",
    "nav.py",
    "demo.py",
    "seed.py",
    "apps.py",
}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        found |= {n.split(".")[1] for n in names if n.startswith("gatehouse.") and n.count(".") >= 1}
    return found


def _is_adapter(path: Path) -> bool:
    return path.name in ADAPTERS or "management" in path.parts


def test_every_app_is_placed_in_the_order():
    apps = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}
    assert apps - set(ORDER) - LEAVES == set()


def test_the_domain_layer_depends_downward_only():
    violations = []
    for index, app in enumerate(ORDER):
        allowed = set(ORDER[: index + 1])
        for path in (ROOT / app).rglob("*.py"):
            if "tests" in path.parts or "migrations" in path.parts:
                continue
            extra = {"api", "web", "accounts"} if _is_adapter(path) else set()
            if path.name in {"demo.py", "seed.py"}:
                extra.add("demo")  # demo data may reuse the demo's name and number makers
            bad = _imports(path) - allowed - extra
            if bad:
                violations.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert violations == []
