"""Open data: importing places from public files and exporting the directory in open formats.

- `standard`: the national "lieux de médiation numérique" CSV standard (columns, vocabularies).
- `clean`: normalisation of the values found in real files (websites, postcodes, phones...).
- `readers`: reading a file, guessing its format, splitting it into rows.
- `formats`: turning a row of each format into the fields of a place.
- `importer`: the import service (batched, idempotent).
- `export`: the directory as standard CSV rows and GeoJSON features.
"""
