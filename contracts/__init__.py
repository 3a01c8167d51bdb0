"""credkit's contract suite: checks any implementation of the credentials API against the spec."""

__all__: list[str] = []
