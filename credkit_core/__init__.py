"""What the mock server and the contract suite share: the credential-type catalog, the bundled
spec and fixture documents, the `encryptedData` format, the error classes and the version.

It imports neither `mockserver` nor `contracts`; both import it.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
