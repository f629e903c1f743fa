"""The ``driftmend`` command line."""
