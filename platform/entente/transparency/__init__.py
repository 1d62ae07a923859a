"""The public transparency log: an RFC 9162 Merkle tree of publication records in the database.

- :mod:`.merkle`: hashes, roots, inclusion and consistency proofs and their checks (pure, hashlib only);
- :mod:`.note`: C2SP signed notes, checkpoints and cosignatures (pure, for ``entente verify`` too);
- :mod:`.log`: the log in the database (append, read, prove, sign checkpoints, take cosignatures).

This package's ``__init__`` imports nothing, so a verifier importing :mod:`.note` or :mod:`.merkle`
does not load the database layer.
"""
