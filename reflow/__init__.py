"""ReflowOS: a peer-to-peer economic network for circular cities, on ValueFlows 1.0."""

__version__ = "0.1.0"
