"""pack.glb: binary glTF written from the meshed XCAF document, and read back as triangles.

``_export_glb`` writes the GLB (OCCT's glTF writer: one merged mesh per part, instanced parts
share their mesh; the file carries no time or path). ``_glb_triangles`` is a small reader of the
glTF 2.0 container (JSON chunk + BIN chunk), so trimesh is not needed at run time: it gives the
STL its triangles (``preview._stl_bytes``).
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from OCP.TDocStd import TDocStd_Document

MM = 0.001  # the document's length unit, m


def _export_glb(doc: TDocStd_Document, path: Path) -> None:
    """Binary glTF in metres and y up, as glTF 2.0 requires ("the units for all linear
    distances are meters", "+Y is up"): the writer scales the millimetre, z-up document. One
    merged mesh per part (cadquery's exporter writes a primitive per B-rep face), instanced
    parts share their mesh; the document's assemblies are the GLB's named nodes (the pack ›
    cells, busbars, fuses, holders, cooling, enclosure › a module's parts › a part)."""
    from OCP.Message import Message_ProgressRange
    from OCP.RWGltf import RWGltf_CafWriter
    from OCP.RWMesh import RWMesh_CoordinateSystem
    from OCP.TCollection import TCollection_AsciiString
    from OCP.TColStd import TColStd_IndexedDataMapOfStringString

    writer = RWGltf_CafWriter(TCollection_AsciiString(str(path)), True)
    converter = writer.ChangeCoordinateSystemConverter()
    converter.SetInputCoordinateSystem(RWMesh_CoordinateSystem.RWMesh_CoordinateSystem_Zup)
    converter.SetInputLengthUnit(MM)
    converter.SetOutputLengthUnit(1.0)  # metres
    writer.SetMergeFaces(True)
    writer.SetParallel(False)
    if not writer.Perform(doc, TColStd_IndexedDataMapOfStringString(), Message_ProgressRange()):
        raise OSError(f"cannot write {path.name}")


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
