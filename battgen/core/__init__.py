"""The core every layer shares: the IR, units, diagnostics, the schema of the language and
its JSON form. It imports nothing else of battgen."""
