"""One module per page kind; each exposes ``routes(web) -> list[Route]``."""
