"""Physics and economics models: small, vectorised, each citing the paper it implements."""
