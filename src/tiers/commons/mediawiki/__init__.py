"""Import of MediaWiki XML exports into the documentation commons.

`dump` reads an export as a stream (any 0.x schema, full history or latest revisions only,
plain or compressed), `wikitext` turns wikitext into the commons' Markdown and says what it
could not convert, `importer` writes pages, revisions, aliases and discussions.
"""
