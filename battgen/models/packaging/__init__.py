"""Moved from models/packaging.py, unchanged, as pack.py (the commit after this one splits it into the
package's modules): its names, here for the imports elsewhere until then."""

from battgen.models.packaging import pack as _moved

globals().update({k: v for k, v in vars(_moved).items() if not k.startswith("__")})
