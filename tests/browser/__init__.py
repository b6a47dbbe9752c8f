"""Browser tests (a package, so that this conftest does not shadow the project conftest module)."""
