"""The driver: the stage registry, the pipelines every door calls (check, estimate, build) and
the atomic writing of build folders."""
