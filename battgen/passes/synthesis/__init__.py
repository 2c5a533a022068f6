"""Moved from passes/synthesis.py, unchanged, as search.py (the commit after this one splits it into the
package's modules): its names, here for the imports elsewhere until then."""

from battgen.passes.synthesis import search as _moved

globals().update({k: v for k, v in vars(_moved).items() if not k.startswith("__")})
