"""pack.glb: binary glTF written from the plan (numpy, no OCCT), and read back as triangles.

``glb_bytes`` tessellates each distinct solid of the plan once (an instance prototype, a prism
and the moved copies that share it, ``plan._share_shapes``) and writes it as one vertex buffer;
every part is a node that places a mesh of that buffer in the part's colour (glTF nodes
referencing one mesh: the 7,104 cells of the Model S are one buffer of 108 triangles, not
7,104 copies). The OCCT glTF writer this replaces wrote a mesh per part and took 11 s for the
Model S's 28,500 parts, after meshing an XCAF document the STEP process also built. The file
carries no time or path: the same plan gives the same bytes. ``_glb_triangles`` is a small
reader of the glTF 2.0 container (JSON chunk + BIN chunk), so trimesh is not needed at run
time: it gives the STL its triangles (``preview._stl_bytes``).
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Callable
from typing import TYPE_CHECKING

from battgen.emit.cad.parts import ASSEMBLIES, KIND_OF, Instances, Plan, Prism

if TYPE_CHECKING:
    import numpy as np

MM = 0.001  # the CAD's length unit, m

# Round edges in the GLB: a circle as a polygon of this many sides, a multiple of 4 so that the
# polygon reaches the circle's extremes in x and y (the bounding box is the solid's). 28 sides
# turn 0.22 rad a side, within the 0.25 rad angular deflection the OCCT mesher was given before.
GLB_SEGMENTS = 28
GLTF_FLOAT, GLTF_UINT16, GLTF_UINT32 = 5126, 5123, 5125
GLTF_ARRAY_BUFFER, GLTF_ELEMENT_ARRAY_BUFFER = 34962, 34963

# A part node: its name, the mesh it shows and where (glTF's node fields)
Node = dict
Tree = dict[str, tuple[list[Node], dict[str, list[Node]]]]


def glb_bytes(plan: Plan, name: str) -> bytes:
    """pack.glb of the plan. Binary glTF 2.0 in metres and y up, as glTF requires ("the units
    for all linear distances are meters", "+Y is up"): ``name`` › the kinds (cells, busbars,
    fuses, holders, cooling, bms, enclosure) › a module's or a plate's parts › a part, the tree
    and the names of pack.step. Each distinct solid is tessellated once (``_Meshes``); a part
    is a node placing the mesh of its solid in its colour."""
    import orjson

    meshes = _Meshes()
    tree = _tree(plan, meshes)
    nodes: list[Node] = [{"name": name, "children": []}]
    for kind in ASSEMBLIES:
        direct, groups = tree[kind]
        if not direct and not groups:
            continue
        kind_at = _child(nodes, 0, {"name": kind, "children": []})
        for part in direct:
            _child(nodes, kind_at, part)
        for group in sorted(groups):
            group_at = _child(nodes, kind_at, {"name": group, "children": []})
            for part in groups[group]:
                _child(nodes, group_at, part)
    for node in nodes:  # glTF: a node's children, when it has the key, are at least one
        if node.get("children") == []:
            del node["children"]
    doc = {
        "asset": {"generator": "battgen", "version": "2.0"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": nodes,
        **meshes.gltf(),
    }
    body = orjson.dumps(doc)
    body += b" " * (-len(body) % 4)  # chunks are 4-byte aligned: JSON padded with spaces
    blob = meshes.blob()
    total = 12 + 8 + len(body) + 8 + len(blob)
    return b"".join(
        [
            struct.pack("<4sII", b"glTF", 2, total),
            struct.pack("<I4s", len(body), b"JSON"),
            body,
            struct.pack("<I4s", len(blob), b"BIN\x00"),
            blob,
        ]
    )


def _child(nodes: list[Node], parent: int, node: Node) -> int:
    nodes.append(node)
    nodes[parent]["children"].append(len(nodes) - 1)
    return len(nodes) - 1


def _tree(plan: Plan, meshes: _Meshes) -> Tree:
    """Kind → (its part nodes, sub-assembly → its part nodes), the parts in the order the STEP
    document adds them (``document._collect``): cells, prisms, holder tiles, fuse links."""
    import numpy as np

    tree: Tree = {kind: ([], {}) for kind in ASSEMBLIES}

    def put(kind: str, group: str | None, node: Node) -> None:
        direct, groups = tree[kind]
        (direct if group is None else groups.setdefault(group, [])).append(node)

    _instance_nodes(plan.cells, "cells", meshes, put)
    by_name = {p.name: p for p in plan.prisms}
    for p in plan.prisms:
        base = by_name[p.instance_of] if p.instance_of is not None else p
        node: Node = {"name": p.name, "mesh": meshes.mesh(("prism", base.name), p.colour, _prism_maker(base))}
        if p.instance_of is not None:
            node["translation"] = (_to_gltf(np.array(p.shift, float)) * MM).tolist()
        put(KIND_OF[p.kind], p.group, node)
    for inst in plan.holders:
        _instance_nodes(inst, "holders", meshes, put)
    if plan.fuses is not None:
        _instance_nodes(plan.fuses, "fuses", meshes, put)
    return tree


def _prism_maker(p: Prism) -> Callable[[], tuple[np.ndarray, np.ndarray]]:
    return lambda: _indexed(_solid_triangles(p))


def _instance_nodes(inst: Instances, kind: str, meshes: _Meshes, put: Callable[[str, str | None, Node], None]) -> None:
    """A node per placement of ``inst``: the prototype's mesh in its colour, moved (and turned)."""
    import numpy as np

    from battgen.emit.cad.preview import _matrices, _proto_triangles

    if not inst.names:
        return
    key = ("proto", inst.kind)
    make = lambda: _indexed(_proto_triangles(inst.proto, GLB_SEGMENTS))  # noqa: E731 - made once per prototype
    places = inst.places
    xyz = np.array([p[:3] for p in places], float)
    turned = [k for k, p in enumerate(places) if p[3] or p[4] != "z"]
    translation = _to_gltf(xyz) * MM
    rotation: dict[int, list[float]] = {}
    if turned:
        mats = _matrices([places[k] for k in turned], inst.extent())
        conv = np.array(_TO_GLTF)
        for k, m in zip(turned, mats):
            translation[k] = conv @ m[:3, 3] * MM
            q = _quaternion(conv @ m[:3, :3] @ conv.T)
            if q is not None:
                rotation[k] = q
    for k, (part_name, colour_key, group) in enumerate(zip(inst.names, inst.colour_keys, inst.groups)):
        node: Node = {"name": part_name, "mesh": meshes.mesh(key, tuple(inst.colours[colour_key]), make)}
        if k in rotation:
            node["rotation"] = rotation[k]
        node["translation"] = translation[k].tolist()
        put(kind, group, node)


# CAD frame (mm, z up) → glTF (m, y up): (x, y, z) → (x, z, −y), then scaled to metres
_TO_GLTF = ((1.0, 0.0, 0.0), (0.0, 0.0, 1.0), (0.0, -1.0, 0.0))


def _to_gltf(xyz: np.ndarray) -> np.ndarray:
    """Points (…, 3) of the CAD frame in glTF's axes (not scaled)."""
    import numpy as np

    return xyz @ np.array(_TO_GLTF).T


def _quaternion(r: np.ndarray) -> list[float] | None:
    """The unit quaternion (x, y, z, w) of a rotation matrix; None for no rotation."""
    import numpy as np

    if np.allclose(r, np.eye(3), atol=1e-12):
        return None
    trace = r[0, 0] + r[1, 1] + r[2, 2]
    if trace > 0:
        s = 2.0 * math.sqrt(1.0 + trace)
        q = [(r[2, 1] - r[1, 2]) / s, (r[0, 2] - r[2, 0]) / s, (r[1, 0] - r[0, 1]) / s, s / 4]
    else:
        i = int(np.argmax(np.diag(r)))
        j, k = (i + 1) % 3, (i + 2) % 3
        s = 2.0 * math.sqrt(1.0 + r[i, i] - r[j, j] - r[k, k])
        q = [0.0, 0.0, 0.0, (r[k, j] - r[j, k]) / s]
        q[i], q[j], q[k] = s / 4, (r[j, i] + r[i, j]) / s, (r[k, i] + r[i, k]) / s
    norm = math.sqrt(sum(v * v for v in q))
    return [float(v / norm) for v in q]


def _solid_triangles(p: Prism) -> np.ndarray:
    """A prism's closed surface as triangles (N, 3, 3), mm, wound outwards: its round holes as
    ``GLB_SEGMENTS``-gons, and its void (the cold plate's channels) as a hollow between its
    skins: the floor and ceiling of the void, and its walls."""
    import numpy as np
    from shapely.geometry import Point

    from battgen.emit.cad.preview import _prism_triangles

    poly = p.polygon
    for x, y, r in p.circles:
        poly = poly.difference(Point(x, y).buffer(r, quad_segs=GLB_SEGMENTS // 4))
    if p.cut is None or p.cut[0].is_empty:
        return _prism_triangles(poly, p.z0, p.z1, bottom=True)
    void, c0, c1 = p.cut
    void = void.intersection(poly)
    below = _prism_triangles(poly, p.z0, c0, bottom=True)  # the bottom skin: its top is the void's floor …
    walls = _prism_triangles(poly.difference(void), c0, c1)  # … the walls between the channels …
    above = _prism_triangles(poly, c1, p.z1, bottom=True)  # … and the top skin
    return np.concatenate([below, walls, above])


def _indexed(tris: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Triangles (N, 3, 3) as glTF wants them: distinct vertices (float32, glTF's axes, m) and
    the triangles' indices into them."""
    import numpy as np

    flat = np.ascontiguousarray((_to_gltf(tris.reshape(-1, 3)) * MM + 0.0).astype(np.float32))  # + 0.0: no −0.0
    if not len(flat):
        return flat.reshape(0, 3), np.zeros((0, 3), np.int64)
    bits = flat.view(np.uint32)  # equal floats, equal bits: sorted as integers (np.unique's axis=0 is slow)
    order = np.lexsort((bits[:, 2], bits[:, 1], bits[:, 0]))
    ordered = bits[order]
    new = np.ones(len(order), bool)
    new[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    index = np.empty(len(order), np.int64)
    index[order] = np.cumsum(new) - 1
    return flat[order[new]], index.reshape(-1, 3)


class _Meshes:
    """The glTF meshes: a vertex and an index buffer per distinct solid (made once, by its key),
    a mesh per solid and colour (a material per colour) sharing that solid's buffers."""

    def __init__(self) -> None:
        self.geometry: dict[tuple, tuple[int, int]] = {}  # solid key → (POSITION accessor, indices accessor)
        self.meshes: dict[tuple, int] = {}
        self.materials: dict[tuple, int] = {}
        self.mesh_list: list[dict] = []
        self.accessors: list[dict] = []
        self.views: list[dict] = []
        self.chunks: list[bytes] = []
        self.size = 0

    def mesh(self, key: tuple, colour: tuple, make: Callable[[], tuple[np.ndarray, np.ndarray]]) -> int:
        """The mesh of the solid ``key`` (``make``: its vertices and triangles) in ``colour``."""
        found = self.meshes.get((key, colour))
        if found is not None:
            return found
        if key not in self.geometry:
            self.geometry[key] = self._add(*make())
        position, indices = self.geometry[key]
        if colour not in self.materials:
            self.materials[colour] = len(self.materials)
        self.mesh_list.append(
            {
                "primitives": [
                    {
                        "attributes": {"POSITION": position},
                        "indices": indices,
                        "material": self.materials[colour],
                        "mode": 4,
                    }
                ]
            }
        )
        self.meshes[(key, colour)] = len(self.mesh_list) - 1
        return self.meshes[(key, colour)]

    def _add(self, vertices: np.ndarray, faces: np.ndarray) -> tuple[int, int]:
        import numpy as np

        small = len(vertices) < 65536
        index = faces.astype(np.uint16 if small else np.uint32).ravel()
        position = self._accessor(vertices.astype(np.float32).tobytes(), GLTF_ARRAY_BUFFER)
        self.accessors.append(
            {
                "bufferView": position,
                "componentType": GLTF_FLOAT,
                "count": len(vertices),
                "type": "VEC3",
                "min": [float(v) for v in vertices.min(axis=0)],
                "max": [float(v) for v in vertices.max(axis=0)],
            }
        )
        indices = self._accessor(index.tobytes(), GLTF_ELEMENT_ARRAY_BUFFER)
        self.accessors.append(
            {
                "bufferView": indices,
                "componentType": GLTF_UINT16 if small else GLTF_UINT32,
                "count": len(index),
                "type": "SCALAR",
            }
        )
        return len(self.accessors) - 2, len(self.accessors) - 1

    def _accessor(self, data: bytes, target: int) -> int:
        """A buffer view of ``data`` (4-byte aligned in the buffer); its index."""
        self.views.append({"buffer": 0, "byteOffset": self.size, "byteLength": len(data), "target": target})
        pad = b"\x00" * (-len(data) % 4)
        self.chunks += [data, pad]
        self.size += len(data) + len(pad)
        return len(self.views) - 1

    def gltf(self) -> dict:
        materials = [
            {
                "name": f"mat_{k}",
                "pbrMetallicRoughness": {
                    "baseColorFactor": [*(_linear(c) for c in colour[:3]), 1.0],
                    "metallicFactor": 0.0,
                    "roughnessFactor": 0.6,
                },
                "doubleSided": True,
            }
            for colour, k in self.materials.items()
        ]
        return {
            "meshes": self.mesh_list,
            "materials": materials,
            "accessors": self.accessors,
            "bufferViews": self.views,
            "buffers": [{"byteLength": self.size}],
        }

    def blob(self) -> bytes:
        return b"".join(self.chunks)


def _linear(c: float) -> float:
    """An sRGB component (0..1) as the linear value glTF's colours are (IEC 61966-2-1)."""
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


# --- reading it back ----------------------------------------------------------------------


def _glb_triangles(data: bytes, thin: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every triangle of a GLB (metres, y up, as glTF is) in the CAD frame (z up, mm):
    (triangles (N, 3, 3), RGB colours (N, 3) in 0..1, is-lid flags (N,)). A small reader of
    the glTF 2.0 container (JSON chunk + BIN chunk), so trimesh is not needed at run time.

    ``thin`` (the preview of a large pack): the bottom holder tiles (under the cells and the
    top tiles) and the fuse links (under a pixel) are left out, and of the cells and top tiles
    only the triangles facing up are kept (their sides are hidden by their neighbours)."""
    import numpy as np

    doc, blob = _glb_chunks(data)
    uses = _mesh_uses(doc, thin)
    # glTF (m, y up) → the CAD frame (mm, z up)
    to_cad = np.array([[1, 0, 0, 0], [0, 0, -1, 0], [0, 1, 0, 0], [0, 0, 0, MM]], dtype=float) / MM
    tris, cols, lids = [], [], []
    for mesh_index in sorted(uses):
        placed = uses[mesh_index]
        mats = np.stack([to_cad @ m for m, _lid, _up in placed])
        lid_flags = np.array([lid for _m, lid, _up in placed])
        up_only = np.array([up for _m, _lid, up in placed])
        for prim in doc["meshes"][mesh_index]["primitives"]:
            if prim.get("mode", 4) != 4 or "POSITION" not in prim["attributes"]:
                continue
            v = _accessor(doc, blob, prim["attributes"]["POSITION"]).astype(float)
            if "indices" in prim:
                f = _accessor(doc, blob, prim["indices"]).reshape(-1, 3).astype(np.int64)
            else:
                f = np.arange(len(v)).reshape(-1, 3)
            rgb = (0.6, 0.6, 0.6)
            if "material" in prim:
                mat = doc["materials"][prim["material"]]
                rgb = tuple(mat.get("pbrMetallicRoughness", {}).get("baseColorFactor", [0.6, 0.6, 0.6, 1])[:3])
            world = np.einsum("kij,vj->kvi", mats[:, :3, :3], v) + mats[:, None, :3, 3]
            if up_only.any():  # faces whose placed normal points up (z > 0.3 of its length)
                n_local = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
                n_len = np.linalg.norm(n_local, axis=1)
                # (instances, faces); a row of the placement is the scale (mm per m) long
                n_z = mats[:, 2, :3] @ n_local.T / np.linalg.norm(mats[:, 2, :3], axis=1)[:, None]
                keep = (n_z > 0.3 * n_len[None]) | ~up_only[:, None]
                inst, face = np.nonzero(keep)
                tris.append(world[inst[:, None], f[face]])
                cols.append(np.tile(np.array(rgb, float), (len(inst), 1)))
                lids.append(lid_flags[inst])
                continue
            tris.append(world[:, f].reshape(-1, 3, 3))
            cols.append(np.tile(np.array(rgb, float), (len(placed) * len(f), 1)))
            lids.append(np.repeat(lid_flags, len(f)))
    if not tris:
        return np.zeros((0, 3, 3)), np.zeros((0, 3)), np.zeros(0, bool)
    return np.concatenate(tris), np.concatenate(cols), np.concatenate(lids)


def _glb_chunks(data: bytes) -> tuple[dict, bytes]:
    """The GLB's JSON document and its binary buffer."""
    if data[:4] != b"glTF":
        raise ValueError("not a GLB file")
    n_json = struct.unpack_from("<I", data, 12)[0]
    doc = json.loads(data[20 : 20 + n_json])
    off = 20 + n_json
    blob = data[off + 8 : off + 8 + struct.unpack_from("<I", data, off)[0]] if off < len(data) else b""
    return doc, blob


def _accessor(doc: dict, blob: bytes, i: int) -> np.ndarray:
    """Accessor ``i`` of the document as an array (count, components)."""
    import numpy as np

    kinds = {5126: np.float32, 5125: np.uint32, 5123: np.uint16, 5121: np.uint8}
    width = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}
    a = doc["accessors"][i]
    view = doc["bufferViews"][a["bufferView"]]
    dtype = np.dtype(kinds[a["componentType"]])
    n = width[a["type"]]
    start = view.get("byteOffset", 0) + a.get("byteOffset", 0)
    stride = view.get("byteStride", 0) or dtype.itemsize * n
    raw = np.frombuffer(blob, dtype=np.uint8, count=stride * (a["count"] - 1) + dtype.itemsize * n, offset=start)
    rows = np.lib.stride_tricks.as_strided(raw, (a["count"], dtype.itemsize * n), (stride, 1))
    return np.ascontiguousarray(rows).view(dtype).reshape(a["count"], n)


def _node_matrix(node: dict) -> np.ndarray:
    """A node's local 4×4 transform (its matrix, or scale, then rotation, then translation)."""
    import numpy as np

    if "matrix" in node:
        return np.array(node["matrix"], float).reshape(4, 4).T
    m = np.eye(4)
    if "scale" in node:
        m = np.diag([*node["scale"], 1.0]) @ m
    if "rotation" in node:
        x, y, z, w = node["rotation"]
        rm = np.eye(4)
        rm[:3, :3] = [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
        m = rm @ m
    if "translation" in node:
        t = np.eye(4)
        t[:3, 3] = node["translation"]
        m = t @ m
    return m


def _mesh_uses(doc: dict, thin: bool) -> dict[int, list[tuple[np.ndarray, bool, bool]]]:
    """Mesh → [(world matrix, is lid, only its faces turned up)] of every node of the scene that
    shows it (``thin``: not the bottom holder tiles and fuse links)."""
    import numpy as np

    uses: dict[int, list] = {}  # mesh → [(world matrix, is lid)]
    nodes = doc.get("nodes", [])
    stack = [(i, np.eye(4), False) for i in doc["scenes"][doc.get("scene", 0)]["nodes"]]
    while stack:
        i, parent, lid = stack.pop()
        node = nodes[i]
        m = parent @ _node_matrix(node)
        lid = lid or node.get("name", "").lower().startswith("lid")
        if "mesh" in node:
            name = node.get("name", "")
            if thin and name.startswith(("tile_bottom_", "fuse_")):
                pass
            else:
                uses.setdefault(node["mesh"], []).append((m, lid, thin and name.startswith(("tile_", "cell_"))))
        stack.extend((c, m, lid) for c in node.get("children", []))
    return uses
