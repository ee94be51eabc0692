"""Message catalogs (es, qu, en) and the tool that keeps them in step with the code (`python -m web.locale.extract`)."""
