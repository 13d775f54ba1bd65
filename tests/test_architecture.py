"""The house's one direction of dependencies: graph ← rag ← finetune, eval (README, Development).

Read from the source (every `import`, function-level ones too), so an arrow running back up fails
here before it tangles the rooms."""
import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
# what each package may import from this project; anything else of ours is an arrow the wrong way
ALLOWED = {"graph": {"graph"}, "rag": {"graph", "rag"}, "finetune": {"graph", "rag", "finetune"},
           "eval": {"graph", "rag", "eval"}}


def imported_packages(path: pathlib.Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names & set(ALLOWED)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_no_module_imports_a_package_above_its_own(package):
    wrong = {str(path.relative_to(ROOT)): sorted(imported_packages(path) - ALLOWED[package])
             for path in sorted((ROOT / package).rglob("*.py"))}
    assert not {path: names for path, names in wrong.items() if names}


def test_the_reader_sees_function_level_imports(tmp_path):
    source = tmp_path / "m.py"
    source.write_text("import os\n\ndef f():\n    from finetune.train import train\n    import eval.metrics\n")
    assert imported_packages(source) == {"finetune", "eval"}


def test_every_package_of_ours_is_installed():
    """pyproject.toml lists the packages a wheel holds: one left out (rag.reproduce was, at first) is
    missing from any install that is not editable, and nothing here would notice."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    ours = {".".join(init.parent.relative_to(ROOT).parts) for top in ALLOWED for init in (ROOT / top).rglob("__init__.py")}
    assert ours == listed
