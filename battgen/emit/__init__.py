"""Emitters: turn pass results into files (JSON, SVG, HTML, CSV, STEP, GLB)."""
