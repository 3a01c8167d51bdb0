"""A second, independent, correct implementation of the credentials contract (see `app`)."""
