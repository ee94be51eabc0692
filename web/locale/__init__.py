"""Message catalogs (es, qu, en), their glossary, and the tool that keeps them in step with the code
(`python -m web.locale.extract`)."""
