"""``driftmend lineage show``: the versions of a feed's baseline and how each came to be."""

from __future__ import annotations

import time
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.tree import Tree

from app.cli import common
from app.lineage.graph import children, roots
from app.lineage.model import Edge
from app.repository.lineage import LineageRepository

cli = typer.Typer(
    rich_markup_mode=None,
    no_args_is_help=True,
    help="Baseline lineage: versions and transformations.",
)
METRICS_SHOWN = 3


@cli.command()
def show(
    feed: Annotated[str, typer.Option(help="Feed name")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Print the lineage graph: each version, its parent, the transformation and why."""
    repo = common.repository(common.settings())
    current = repo.current_version(feed)
    graph = LineageRepository(repo.client).graph(feed)
    graph["current_version"] = current
    if as_json:
        print(orjson.dumps(graph).decode())
        return
    edges = [Edge.from_dict(e) for e in graph["edges"]]
    by_child = {e.child: e for e in reversed(edges)}  # the first edge of each version
    nodes = {int(n["version"]): n for n in graph["nodes"]}
    tree = Tree(f"[bold]{feed}[/] (current v{current}, {len(by_child)} versions)")

    def grow(branch: Tree, version: int, depth: int) -> None:
        sub = branch.add(_label(by_child[version], nodes.get(version), version == current))
        if depth < 1000:
            for child in children(edges, version):
                grow(sub, child, depth + 1)

    for root in roots(edges):
        grow(tree, root, 0)
    Console().print(tree)


def _label(edge: Edge, node: dict[str, Any] | None, current: bool) -> str:
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(edge.created_at_ms / 1000))
    parts = [f"[bold]v{edge.child}[/]", f"[cyan]{edge.transformation}[/]", when]
    if current:
        parts.append("[green](current)[/]")
    if edge.reason:
        parts.append(escape(edge.reason))
    if node is not None:
        extra = [f"hash {str(node['content_hash'])[:10]}"]
        records = (node.get("data_signature") or {}).get("records")
        if records is not None:
            extra.append(f"{records:,} records")
        metrics = list((node.get("metrics") or {}).items())[:METRICS_SHOWN]
        extra += [f"{k} {v:.3g}" for k, v in metrics]
        parts.append(f"[dim]({', '.join(extra)})[/]")
    return " ".join(parts)
