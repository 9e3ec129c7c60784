"""A member's tracking records in and out: the documented CSV format
(docs/tracking-csv.md), its validated import, and exports as CSV and as FHIR
R4 resources. The research area builds its de-identified releases from the
same functions."""
