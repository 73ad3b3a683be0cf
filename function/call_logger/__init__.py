"""GREEN-API incoming-call logger: webhook core, storage, GREEN-API client and commands."""
