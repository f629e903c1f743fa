"""``driftmend lineage show``: the versions of a feed's baseline and how each came to be."""

from __future__ import annotations

import time
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.tree import Tree

from app.cli import common

cli = typer.Typer(no_args_is_help=True, help="Baseline lineage: versions and transformations.")


@cli.command()
def show(
    feed: Annotated[str, typer.Option(help="Feed name")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Print the lineage graph: each version, its parent and the transformation."""
    from app.repository.lineage import LineageRepository

    repo = common.repository(common.settings())
    graph = LineageRepository(repo.client).graph(feed)
    graph["current_version"] = repo.current_version(feed)
    if as_json:
        print(orjson.dumps(graph).decode())
        return
    children: dict[int | None, list[dict[str, object]]] = {}
    for edge in graph["edges"]:
        children.setdefault(edge["parent"], []).append(edge)
    tree = Tree(f"[bold]{feed}[/] (current v{graph['current_version']})")

    def grow(node: Tree, parent: int | None, depth: int = 0) -> None:
        for edge in children.get(parent, []):
            child = int(str(edge["child"]))
            when = time.strftime(
                "%Y-%m-%d %H:%M:%S", time.gmtime(int(str(edge["created_at_ms"])) / 1000)
            )
            label = f"v{child} [cyan]{edge['transformation']}[/] {when} {edge['reason']}"
            branch = node.add(label)
            if depth < 100 and child != parent:
                grow(branch, child, depth + 1)

    roots = [
        p
        for p in children
        if p is None or all(e["child"] != p for es in children.values() for e in es)
    ]
    for root in roots:
        grow(tree if root is None else tree.add(f"v{root}"), root)
    Console().print(tree)
