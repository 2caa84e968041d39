"""The notebooks run top to bottom (on small sizes) against the current API."""

from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path, npz_data, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("SEMCOM_NOTEBOOK_SMALL", "1")
    monkeypatch.setenv("SEMCOM_DATA", str(npz_data))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors


def test_notebooks_are_generated_from_the_script():
    """The committed .ipynb files match notebooks/make_notebooks.py (no hand edits drift)."""
    nbformat = pytest.importorskip("nbformat")
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_notebooks", NOTEBOOKS[0].parent / "make_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert sorted(module.NOTEBOOKS) == [p.stem for p in NOTEBOOKS]
    for name, cells in module.NOTEBOOKS.items():
        committed = nbformat.read(NOTEBOOKS[0].parent / f"{name}.ipynb", as_version=4)
        assert [c.source for c in module.build(cells).cells] == [c.source for c in committed.cells], name
