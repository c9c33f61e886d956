"""Every chapter follows the conventions of CONTRIBUTING.md; these tests say which rule broke."""

import ast
import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
REPO_URL = CONFIG["repository"]["url"].rstrip("/")
BRANCH = CONFIG["repository"]["branch"]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
NOTEBOOKS = CHAPTERS + [ROOT / "book" / "chapter_template.ipynb"]


def load(path):
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if isinstance(cell["source"], list):
            cell["source"] = "".join(cell["source"])
    return nb


def toc_files():
    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                yield node["file"]
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    return set(walk(yaml.safe_load((ROOT / "_toc.yml").read_text())))


def ids(paths):
    return [str(p.relative_to(ROOT)) for p in paths]


def test_there_are_chapters():
    assert CHAPTERS, "chapters/ holds no notebook"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
class TestNotebook:
    def test_stored_without_outputs(self, path):
        for i, cell in enumerate(load(path)["cells"]):
            if cell["cell_type"] == "code":
                assert not cell.get("outputs"), f"cell {i} has outputs: clear them before committing"
                assert cell.get("execution_count") is None, f"cell {i} has an execution count"

    def test_title_and_colab_badge(self, path):
        first = load(path)["cells"][0]
        assert first["cell_type"] == "markdown" and first["source"].startswith("# "), "first cell: '# Title'"
        rel = path.relative_to(ROOT).as_posix()
        owner_repo = REPO_URL.removeprefix("https://github.com/")
        badge = f"https://colab.research.google.com/github/{owner_repo}/blob/{BRANCH}/{rel}"
        assert "colab-badge.svg" in first["source"], "the first cell needs the Open in Colab badge"
        assert f"({badge})" in first["source"], (
            f"the badge must link to {badge} (repository.url in _config.yml)"
        )

    def test_setup_cell(self, path):
        code = [c for c in load(path)["cells"] if c["cell_type"] == "code"]
        setup = code[0]
        src = setup["source"]
        assert "setup" in setup.get("metadata", {}).get("tags", []), "tag the first code cell 'setup'"
        assert 'if "google.colab" in sys.modules:' in src, "install only inside Colab"
        m = re.search(r'%pip install -q "(wganlib(\[[a-z]+\])? @ git\+(\S+))"', src)
        assert m, "the setup cell installs wganlib with %pip inside the Colab guard"
        assert m.group(3) == REPO_URL, f"install from {REPO_URL}, the repository.url of _config.yml"
        assert "wganlib.device()" in src and "wganlib.seed_everything(0)" in src

    def test_sections(self, path):
        md = "\n".join(c["source"] for c in load(path)["cells"] if c["cell_type"] == "markdown")
        for heading in ("## Learning goals", "## Exercises", "## Summary"):
            assert re.search(rf"^{heading}\s*$", md, re.M), f"missing section '{heading}'"
        assert md.index("## Learning goals") < md.index("## Exercises") < md.rindex("## Summary")

    def test_claims_are_asserted_and_exercises_checked(self, path):
        cells = load(path)["cells"]
        code = "\n".join(c["source"] for c in cells if c["cell_type"] == "code")
        md = "\n".join(c["source"] for c in cells if c["cell_type"] == "markdown")
        assert re.search(r"^\s*assert ", code, re.M), "claims must be checked by assert cells"
        assert "{exercise}" in md, "exercises use the {exercise} directive"
        assert re.search(r"wganlib\.exercises\.check_\w+\(", code), "code exercises end in a check_* call"
        assert "NBVAL" not in code, "use cell tags, not # NBVAL comments"
        assert ".cuda()" not in code, "use device=device, never .cuda()"

    def test_solutions_are_gated(self, path):
        inside = False
        begins = 0
        for i, cell in enumerate(load(path)["cells"]):
            src = cell["source"]
            if cell["cell_type"] == "markdown":
                if "{solution-start}" in src:
                    assert not inside, f"cell {i}: solution-start inside another solution"
                    assert ":class: dropdown" in src, f"cell {i}: solutions are hidden (':class: dropdown')"
                    inside = True
                if "{solution-end}" in src:
                    assert inside, f"cell {i}: solution-end without solution-start"
                    inside = False
            elif "### BEGIN SOLUTION" in src:
                begins += 1
                assert inside, f"cell {i}: a solution region outside {{solution-start}}/{{solution-end}}"
                assert src.count("### BEGIN SOLUTION") == src.count("### END SOLUTION"), (
                    f"cell {i}: unbalanced markers"
                )
        assert not inside, "a solution-start is never closed"
        assert begins >= 1, "at least one code exercise with ### BEGIN SOLUTION / ### END SOLUTION"

    def test_no_float64_on_the_device(self, path):
        # Apple's MPS, which wganlib.device() picks second, has no float64: exact computations in float64
        # run on the CPU (or on a device variable that falls back to it, e.g. `exact_device`)
        for i, cell in enumerate(load(path)["cells"]):
            if cell["cell_type"] != "code":
                continue
            for line in cell["source"].splitlines():
                if re.search(r"float64|\.double\(\)", line) and re.search(r"device=device\b|\.to\(device\)", line):
                    raise AssertionError(
                        f"cell {i} makes float64 on `device`, which fails on MPS: {line.strip()!r}. Compute in "
                        "float64 on the CPU, or use float32 on the device"
                    )


@pytest.mark.parametrize("path", CHAPTERS, ids=ids(CHAPTERS))
def test_chapter_is_in_the_toc(path):
    entry = path.relative_to(ROOT).with_suffix("").as_posix()
    assert entry in toc_files(), f"{entry} is not listed in _toc.yml"


def test_toc_entries_exist():
    for entry in toc_files():
        matches = list(ROOT.glob(entry + ".*"))
        assert matches, f"_toc.yml lists {entry}, which does not exist"


SEEDING_CALLS = {"manual_seed", "default_rng", "seed"}  # a seed as their first argument
SEED_KEYWORDS = {"seed", "random_state", "test_seed"}


def _is_wganlib_seed(node):
    """True for the expression wganlib.seed(...)."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "seed"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "wganlib"
    )


def unrouted_seeds(code):
    """Seeds in a notebook's code that do not go through wganlib (so WGANLIB_SEED_OFFSET cannot shift them).

    A library's seeding call (torch.manual_seed, Generator().manual_seed, np.random.default_rng, random.seed)
    and a `seed=` / `random_state=` / `test_seed=` argument of any function the notebook does not define itself
    must receive `wganlib.seed(...)`; `wganlib.generator(s)`, `wganlib.rng(s)` and `wganlib.seed_everything(s)`
    route their seed themselves, and so do the functions of `wganlib.augment` (imported as `augment`), whose
    `seed=` is a book seed that they shift. A function defined in the notebook may take a seed as it likes, since the calls
    it makes are checked here in turn.
    """
    code = re.sub(r"^(\s*)[%!].*$", r"\1pass", code, flags=re.M)  # IPython magics
    tree = ast.parse(code)
    own = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    bad = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in own:
            continue
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "wganlib":
            if func.attr in {"seed", "generator", "rng", "seed_everything"}:
                continue
        if isinstance(func, ast.Attribute) and ast.unparse(func.value) in {"augment", "wganlib.augment"}:
            continue  # wganlib.augment shifts its seeds itself
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        args = []
        if name in SEEDING_CALLS and node.args:
            args.append(node.args[0])
        args += [kw.value for kw in node.keywords if kw.arg in SEED_KEYWORDS]
        for arg in args:
            if not _is_wganlib_seed(arg) and not (isinstance(arg, ast.Constant) and arg.value is None):
                bad.append(f"line {node.lineno}: {ast.unparse(node)[:90]}")
    return bad


def test_unrouted_seeds_are_found():
    assert unrouted_seeds("torch.manual_seed(0)")
    assert unrouted_seeds("g = torch.Generator().manual_seed(seed)")
    assert unrouted_seeds("rng = np.random.default_rng(3)")
    assert unrouted_seeds("SMOTE(k_neighbors=3, random_state=seed)")
    assert unrouted_seeds("def f(s):\n    return wganlib.train_gan(g, c, s, seed=s)")
    assert not unrouted_seeds("torch.manual_seed(wganlib.seed(0))\nrng = wganlib.rng(2)\ng = wganlib.generator(s)")
    assert not unrouted_seeds("def fit(seed=0):\n    pass\n\nfit(seed=1)\nwganlib.seed_everything(0)")
    assert not unrouted_seeds("augment.smote(x, 5, seed=3)\nwganlib.augment.evaluate('SMOTE', seed=1)")


@pytest.mark.parametrize("path", CHAPTERS, ids=ids(CHAPTERS))
def test_every_seed_goes_through_wganlib(path):
    code = "\n".join(c["source"] for c in load(path)["cells"] if c["cell_type"] == "code")
    bad = unrouted_seeds(code)
    assert not bad, (
        "seeds not passed through wganlib, so WGANLIB_SEED_OFFSET cannot shift them; write "
        "torch.manual_seed(wganlib.seed(k)), wganlib.generator(k), wganlib.rng(k), seed=wganlib.seed(k):\n  "
        + "\n  ".join(bad)
    )
