"""Discord extensions, one package per feature; `bot.__main__` loads them."""
