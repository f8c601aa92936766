"""Builds each notebook from its plain-script twin (cells marked `# %%`, markdown cells
`# %% [markdown]`), so that the two never drift. `make test` checks they are in sync.

    python3 notebooks-export/sync_notebooks.py           # rewrite the notebooks
    python3 notebooks-export/sync_notebooks.py --check   # fail if a notebook is stale
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TWINS = ["plot_results"]


def notebook(script):
    cells, current, kind = [], [], None

    def flush():
        if kind is None:
            return
        lines = current[:]
        while lines and not lines[-1].strip():
            lines.pop()
        if kind == "markdown":
            lines = [line[2:] if line.startswith("# ") else line.lstrip("#") for line in lines]
            cells.append({"cell_type": "markdown", "metadata": {}, "source": "\n".join(lines)})
        else:
            cells.append({"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                          "source": "\n".join(lines)})

    for line in script.splitlines():
        if line.startswith("# %%"):
            flush()
            kind, current = ("markdown" if "[markdown]" in line else "code"), []
        else:
            current.append(line)
    flush()
    example = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
               "source": "# Draw a results file here:\n# for png in plot_all(\"results.h5\", \"plots\"): print(png)"}
    return {"cells": cells + [example], "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                                                     "language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5}


def main():
    stale = []
    for name in TWINS:
        with open(os.path.join(HERE, f"{name}.py")) as f:
            text = json.dumps(notebook(f.read()), indent=1, ensure_ascii=False) + "\n"
        path = os.path.join(HERE, f"{name}.ipynb")
        current = open(path).read() if os.path.exists(path) else None
        if "--check" in sys.argv:
            if current != text:
                stale.append(path)
        elif current != text:
            with open(path, "w") as f:
                f.write(text)
            print("wrote", path)
    if stale:
        sys.exit("sync_notebooks: stale notebooks (run python3 notebooks-export/sync_notebooks.py): " + ", ".join(stale))


if __name__ == "__main__":
    main()
