"""flame-hub: work with a FLAME Hub's auth, core and storage services as Python objects."""

__version__ = "0.1.0.dev0"
