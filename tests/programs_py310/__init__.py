"""Programs that use Python 3.10+ syntax (imported only on those versions)."""
