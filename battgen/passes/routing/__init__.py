"""Routing: busbar plates, pack terminal leads, fuse links and the solved resistor network."""

from battgen.passes.routing.router import *  # noqa: F403 - the split into modules by job follows
from battgen.passes.routing.router import _beta  # noqa: F401
from battgen.passes.routing.types import Busbar, FuseLink, NetworkSolution, Routing  # noqa: F401
