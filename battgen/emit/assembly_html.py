"""``assembly.html`` and ``assembly.json``: the assembly procedure (``PackBuild.assembly``, made by
the CAD stage from its plan) as a page with a picture after each step, and as a machine-readable
list. Deterministic like every file of a build."""

from __future__ import annotations

from html import escape

from battgen.core.serialize import dumps, to_jsonable
from battgen.passes.build import PackBuild

_CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1000px; color: #222; padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { font-size: 1.15em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
.sub { color: #666; } figure { margin: 0.6em 0; } figure img { width: 100%; border: 1px solid #ddd; }
table { border-collapse: collapse; } td, th { padding: 0.2em 0.8em; text-align: left; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
"""


def _words(counts: dict[str, int]) -> str:
    return ", ".join(f"{n:,} {k.replace('_', ' ')}" for k, n in counts.items() if n) or "—"


def assembly_json(build: PackBuild) -> str:
    """The procedure as JSON: steps (number, name, action, parts, joints, after, picture), the
    complexity counts and the source of the order."""
    assert build.assembly is not None
    return dumps({"battgen": 1, "pack": build.name, "assembly": to_jsonable(build.assembly)})


def assembly_html(build: PackBuild) -> str:
    """The page: the complexity counts, then every step with what it adds, its joints, the steps
    it follows and a picture of the pack after it."""
    a = build.assembly
    assert a is not None
    c = a.complexity
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{escape(build.name)} — assembly</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>Assembly of pack {escape(build.name)}</h1>",
        f'<p class="sub">{c.steps} steps, in the order the CAD geometry allows (a part goes in after what '
        f"it rests on or lies above), ties in the VDMA order: {escape(a.source)}. Machine-readable: "
        '<a href="assembly.json">assembly.json</a>.</p>',
        '<table id="complexity">',
        "<tr><th>parts</th><th>designs</th><th>welds and bonds</th><th>fasteners</th><th>connectors</th><th>steps</th></tr>",
        f'<tr><td class="n">{c.parts:,}</td><td class="n">{c.unique_parts:,}</td><td class="n">{c.welds_bonds:,}</td>'
        f'<td class="n">{c.fasteners:,}</td><td class="n">{c.connectors:,}</td><td class="n">{c.steps}</td></tr>',
        "</table>",
    ]
    for note in a.notes:
        out.append(f'<p class="sub">{escape(note)}</p>')
    for step in a.steps:
        after = ", ".join(step.after) or "nothing"
        out += [
            f'<section class="step" id="step-{step.number}">',
            f"<h2>{step.number}. {escape(step.name)}</h2>",
            f"<p>{escape(step.action)}. Adds {escape(_words(step.parts))}; joints: {escape(_words(step.joints))}; "
            f"after {escape(after)}.</p>",
            f'<figure><img src="{step.picture}" alt="the pack after step {step.number}, {escape(step.name)}">'
            f"<figcaption>after step {step.number}</figcaption></figure>",
            "</section>",
        ]
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"
