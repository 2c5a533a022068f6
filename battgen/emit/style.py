"""The one set of colours every picture of a build uses: the SVGs, the report's plots, the
preview and pack.glb. A module is the same colour in layout.svg, preview.png and the GLB; a
cold plate, a holder or a fuse link is the same colour wherever it is drawn.

Colour maps for quantities (a cell's current or temperature, a busbar's potential) are sampled
at eleven evenly spaced points and interpolated linearly in sRGB:

* ``CURRENT``: viridis (van der Walt & Smith, matplotlib 2.0's default, 2015: perceptually
  uniform, readable in grey and by the common colour-vision deficiencies), from its published
  table at 0, 0.1, …, 1;
* ``TEMPERATURE``: inferno from 0.2 to 1.0 of the same family (dark purple cool, pale yellow
  hot; its black end is left out so that a cell's outline stays visible);
* ``POTENTIAL``: the pack's − terminal blue to its + terminal red, the colours of the usual
  wiring convention (− black or blue, + red), through purple: a two-hue ramp rising in
  lightness contrast to the white sheet at both ends.
"""

from __future__ import annotations

# Modules: Okabe & Ito (2008) "Color Universal Design", colour-blind safe, then Paul Tol's
# "muted" scheme for packs of more than eight modules.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#999999",
    "#332288",
    "#88CCEE",
    "#44AA99",
    "#117733",
    "#DDCC77",
    "#CC6677",
    "#AA4499",
    "#882255",
)

# Parts, as drawn in the SVG legends, the preview and the GLB materials
PART = {
    "busbar": "#D28C45",  # copper
    "busbar_al": "#C4C9CF",  # aluminium
    "lead": "#C0392B",
    "fuse": "#E8A317",
    "holder": "#3A3A3A",
    "frame": "#8C9196",
    "cold_plate": "#4A8CD8",
    "enclosure": "#B3B8BF",
    "lid": "#B3B8BF",
    "flange": "#9DA2A8",
    "keepout": "#B22222",
    "gap_filler": "#ED9EC7",
    "bms_board": "#1E8449",  # busbars.svg's sense lines and boards alike
    "sense_harness": "#F2CC1A",
}

PLUS = "#C0392B"  # the + terminal's marker
MINUS = "#1F3F7A"  # the − terminal's marker

VIRIDIS = (
    "#440154",
    "#482475",
    "#414487",
    "#355F8D",
    "#2A788E",
    "#21918C",
    "#22A884",
    "#44BF70",
    "#7AD151",
    "#BDDF26",
    "#FDE725",
)
INFERNO = (  # inferno at 0.2, 0.28, …, 1.0
    "#3B0F70",
    "#57106E",
    "#721F81",
    "#8C2981",
    "#A8327D",
    "#C43C75",
    "#DE4968",
    "#F1605D",
    "#FB8861",
    "#FEB078",
    "#FCFDBF",
)
POTENTIAL_RAMP = ("#1F4E9C", "#3F4AA0", "#5E449E", "#7B3D96", "#953689", "#AB2F78", "#BC2A63", "#C0392B")

CURRENT = VIRIDIS
TEMPERATURE = INFERNO
POTENTIAL = POTENTIAL_RAMP


def rgb(colour: str) -> tuple[float, float, float]:
    """'#RRGGBB' as (r, g, b) in 0..1."""
    c = colour.lstrip("#")
    return (int(c[0:2], 16) / 255, int(c[2:4], 16) / 255, int(c[4:6], 16) / 255)


def hex_colour(r: float, g: float, b: float) -> str:
    return "#" + "".join(f"{max(0, min(255, round(v * 255))):02X}" for v in (r, g, b))


def sample(ramp: tuple[str, ...], t: float) -> str:
    """The colour of ``ramp`` at ``t`` in 0..1 (clamped), linear between its stops."""
    t = min(max(t, 0.0), 1.0) * (len(ramp) - 1)
    i = min(int(t), len(ramp) - 2)
    f = t - i
    a, b = rgb(ramp[i]), rgb(ramp[i + 1])
    return hex_colour(*(x + (y - x) * f for x, y in zip(a, b)))


def module_colour(module: int) -> str:
    return PALETTE[module % len(PALETTE)]
