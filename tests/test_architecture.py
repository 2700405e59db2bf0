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


def test_stages_import_only_stages_below_them_and_every_module_imports_on_its_own():
    # The library's stages sit below the pipeline that runs them and the live service
    # built on it; a stage importing either makes an import cycle.
    above = {"pipeline", "pantau"}
    stages = ["config", "io", "sources", "clean", "analysis", "publish"]
    offenders = []
    for stage in stages:
        for path in (PACKAGE / stage).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("jangkau."):
                    target = node.module.split(".")[1]
                    if target in above:
                        offenders.append(f"{stage}/{path.name}: {node.module}")
    assert offenders == []
    modules = [m.name for m in pkgutil.walk_packages([str(PACKAGE)], prefix="jangkau.")]
    code = (
        "import importlib, sys\n"
        "failed = []\n"
        f"for name in {modules!r}:\n"
        "    for loaded in [m for m in sys.modules if m.startswith('jangkau')]:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except ImportError as error:\n"
        "        failed.append(f'{name}: {error}')\n"
        "print(failed); sys.exit(1 if failed else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
