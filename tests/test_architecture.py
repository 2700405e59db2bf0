import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import jangkau

PACKAGE = Path(jangkau.__file__).parent


def test_no_module_of_the_library_imports_prefect():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path.name}: {n}" for n in names if n.split(".")[0] in {"prefect", "flows"}
            ]
    assert offenders == []


def test_importing_every_library_module_loads_no_prefect():
    modules = [m.name for m in pkgutil.walk_packages([str(PACKAGE)], prefix="jangkau.")]
    assert "jangkau.pipeline.stages" in modules and "jangkau.analysis.coverage" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'prefect')\n"
        "print(loaded); sys.exit(1 if loaded else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
