"""The layer order of docs/architecture.md, held by the import graph of platform/entente.

The graph is read from the source with :mod:`ast`, not by importing it. Imports inside functions
count exactly like module-level ones: a function-level import is how a cycle hides (it runs later,
so Python never complains), and it is still a dependency. Imports under ``if TYPE_CHECKING:`` count
too: the code that names a type depends on the module that defines it.

A *package* is a first-level name under ``entente``: ``entente.releases`` (with its submodules) or
``entente.clock``. The rules (docs/architecture.md):

- no cycle between packages;
- the edge (the packages that know HTTP, the command line or the running process) sits on top:
  no other package imports it;
- the foundations import only each other;
- only ``entente.signing`` imports signature primitives (one allowance: pyHanko, below).
"""

from __future__ import annotations

import ast
import inspect
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "platform"
PACKAGE = "entente"

# The edge: wiring (app, appkeys), HTTP (web), the command line (cli, __main__) and the processes
# that run beside the server (scheduler: the loop; publisher: the side effects it drives, with the
# process pool and the log key from app state). Everything else is domain or foundation and never
# imports these.
EDGE = {"__main__", "app", "appkeys", "cli", "publisher", "scheduler", "web"}

# The foundations: imported by everyone, importing only each other.
FOUNDATIONS = {"canonical", "clock", "db", "errors", "models", "settings", "signing"}

# Signature primitives: the libraries that create or check a signature, or build a signed
# certificate. Plain hashing (hashlib) is not a primitive. ``cryptography`` as a whole counts: its
# signing lives in hazmat.primitives.asymmetric, its InvalidSignature in cryptography.exceptions and
# its certificate signing in cryptography.x509, and there is no reason for another module to need it.
PRIMITIVES = (
    "cryptography",
    "nacl",
    "ecdsa",
    "jwcrypto",
    "joserfc",
    "jose",
    "jwt",
    "authlib",
    "OpenSSL",
    "Crypto",
    "Cryptodome",
    "pyhanko",
    "pyhanko_certvalidator",
)
SIGNING = "signing"

# The one allowance (the lead's decision): the PDF signature is PAdES, made and checked with pyHanko,
# a PDF library whose signing and validation cannot be separated from the PDF structure it edits.
# It stays in entente.documents, in these two modules only; pyHanko's own use of cryptography is
# inside pyHanko. Nothing else of entente.documents may import a primitive.
ALLOWED = {
    "entente.documents.signature": {"pyhanko", "pyhanko_certvalidator"},
    "entente.documents.checking": {"pyhanko", "pyhanko_certvalidator"},
}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module, e.g. entente.releases.artefact
    target: str  # the imported module or name, e.g. entente.signoffs.recording
    line: int

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _dynamic_target(node: ast.Call, module: str) -> str | None:
    """The module named by ``importlib.import_module(...)``: a constant, or an f-string whose head
    is ``{__name__}`` (a submodule of this module) or a constant prefix."""
    if not node.args:
        return None
    arg = node.args[0]
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    if isinstance(arg, ast.JoinedStr) and arg.values:
        head = arg.values[0]
        if isinstance(head, ast.FormattedValue) and isinstance(head.value, ast.Name) and head.value.id == "__name__":
            return module
        if isinstance(head, ast.Constant) and isinstance(head.value, str) and head.value.count(".") >= 1:
            return head.value.rsplit(".", 1)[0]
    return None


def _imports() -> list[Import]:
    found = []
    for path in sorted((SOURCE / PACKAGE).rglob("*.py")):
        if "migrations" in path.relative_to(SOURCE).parts:  # alembic scripts, run by alembic only
            continue
        module = _module_name(path)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                found += [Import(module, alias.name, node.lineno) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join(anchor + ([node.module] if node.module else []))
                if node.module:
                    found.append(Import(module, base, node.lineno))
                # ``from entente import signoffs`` imports the module entente.signoffs
                found += [Import(module, f"{base}.{alias.name}", node.lineno) for alias in node.names]
            elif isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
                if name in ("import_module", "__import__"):
                    target = _dynamic_target(node, module)
                    assert target is not None, f"{module}:{node.lineno}: a dynamic import this test cannot read"
                    found.append(Import(module, target, node.lineno))
    return found


PACKAGES = {
    path.stem
    for path in (SOURCE / PACKAGE).iterdir()
    if path.suffix == ".py" and path.stem != "__init__" or (path / "__init__.py").exists()
}


def _package(name: str) -> str | None:
    """The first-level package ``name`` belongs to; None outside entente (and for names imported
    from entente's own ``__init__``, such as ``__version__``)."""
    parts = name.split(".")
    if parts[0] != PACKAGE or len(parts) < 2 or parts[1] not in PACKAGES:
        return None
    return parts[1]


def _package_edges() -> dict[str, dict[str, Import]]:
    """package -> imported package -> the first import that makes the edge."""
    edges: dict[str, dict[str, Import]] = defaultdict(dict)
    for imp in _imports():
        a, b = _package(imp.source), _package(imp.target)
        if a and b and a != b:
            edges[a].setdefault(b, imp)
    return edges


def _knots(edges: dict[str, dict[str, Import]]) -> list[list[str]]:
    """The strongly connected components with more than one package (Tarjan): each holds a cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    components = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(component)

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return [sorted(c) for c in components]


def _cycle_through(component: list[str], edges: dict[str, dict[str, Import]]) -> list[str]:
    """One cycle inside a strongly connected component, from its first package back to it."""
    start, members = component[0], set(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(edges.get(v, {})):
            if w == start:
                return paths[v] + [start]
            if w in members and w not in paths:
                paths[w] = paths[v] + [w]
                queue.append(w)
    raise AssertionError(component)


def test_packages_form_no_cycle() -> None:
    edges = _package_edges()
    described = []
    for knot in _knots(edges):
        cycle = _cycle_through(knot, edges)
        steps = "\n".join(f"    {a} -> {b} ({edges[a][b].where})" for a, b in zip(cycle, cycle[1:]))
        described.append(f"{' -> '.join(cycle)} (packages caught in this knot: {', '.join(knot)})\n{steps}")
    assert not described, "package cycles:\n" + "\n".join(described)


def test_domain_and_foundations_do_not_import_the_edge() -> None:
    wrong = [
        f"{imp.where} imports {imp.target}"
        for imp in _imports()
        if _package(imp.source) not in EDGE and _package(imp.target) in EDGE
    ]
    assert not wrong, "below the edge, these import it:\n" + "\n".join(wrong)


def test_foundations_import_only_foundations() -> None:
    wrong = [
        f"{imp.where} imports {imp.target}"
        for imp in _imports()
        if _package(imp.source) in FOUNDATIONS and _package(imp.target) not in FOUNDATIONS | {None}
    ]
    assert not wrong, "foundations importing the layers above them:\n" + "\n".join(wrong)


def test_only_signing_imports_signature_primitives() -> None:
    wrong = []
    for imp in _imports():
        root = imp.target.split(".")[0]
        if root not in PRIMITIVES or _package(imp.source) == SIGNING:
            continue
        if root in ALLOWED.get(imp.source, ()):
            continue
        wrong.append(f"{imp.where} imports {imp.target}")
    assert not wrong, "signature primitives outside entente.signing:\n" + "\n".join(sorted(set(wrong)))


def test_the_graph_sees_function_level_imports() -> None:
    """The reader itself: imports inside functions and ``importlib.import_module`` calls are seen."""
    imports = _imports()
    assert any(i.source == "entente.cli" and i.target == "entente.cli" for i in imports)  # import_module
    sources = {i.source for i in imports if i.target.startswith("cryptography.x509")}
    assert sources and all(_package(s) == SIGNING for s in sources)  # imported inside a function


# --- the web edge: every route is declared with its request context -------------------------------

def test_every_route_is_declared_with_a_request_context(app) -> None:
    """Every handler on the router was declared with ``ApiRoutes.route`` or ``PageRoutes``, so it takes
    one :class:`~entente.web.context.Context` (caller checked, body read, ``now`` read once) and
    derives none of it from the request by hand (static files too: they are served from memory)."""

    from entente.web.context import context_handler

    endpoint_code = context_handler(_probe, signed_in=False).__code__
    wrong = []
    for route in app.router.routes():
        handler = route.handler
        wrapped = getattr(handler, "__wrapped__", None)
        if getattr(handler, "__code__", None) is endpoint_code and wrapped is not None:
            parameters = list(inspect.signature(wrapped).parameters)
            if parameters[:1] == ["ctx"]:
                continue
        where = f"{route.method} {route.resource.canonical} -> {handler.__module__}.{handler.__qualname__}"
        wrong.append(where)
    assert not wrong, "routes not declared with a request context (use ApiRoutes.route or PageRoutes):\n" + "\n".join(
        wrong
    )


async def _probe(ctx):  # a handler to learn what the context's endpoint looks like
    raise AssertionError("never called")
