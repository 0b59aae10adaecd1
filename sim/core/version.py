"""The package version: one definition, read by the package metadata and written into every output."""

__version__ = "0.1.0"
