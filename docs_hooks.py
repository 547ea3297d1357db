"""MkDocs hook: one API reference page per public module of neuromem.

Generated at build time, so a module added by anyone is in the reference without a
page to write or a nav to edit. Each page is the module's docstring and its public
members, rendered by mkdocstrings from the numpy-style docstrings.
"""

from __future__ import annotations

import pkgutil

from mkdocs.structure.files import File

import neuromem


def modules() -> list[str]:
    """Public modules of neuromem (no name part starting with an underscore)."""
    names = ["neuromem"]
    for info in pkgutil.walk_packages(neuromem.__path__, "neuromem."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return sorted(names)


def on_files(files, config):
    for name in modules():
        content = (
            f"# `{name}`\n\n::: {name}\n    options:\n      show_root_heading: false\n"
        )
        files.append(File.generated(config, f"api/{name}.md", content=content))
    return files


REFERENCES = "references.md"


def on_page_markdown(markdown, page, config, files):
    """Every page links to the references, also one added without the line."""
    src = page.file.src_uri
    if src == REFERENCES or src.startswith("api/") or f"({REFERENCES})" in markdown:
        return markdown
    return markdown.rstrip("\n") + f"\n\nReferences: [references]({REFERENCES}).\n"
