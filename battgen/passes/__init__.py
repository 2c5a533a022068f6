"""The passes: pure functions from the IR (and earlier results) to new facts."""
