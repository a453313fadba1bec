"""The establishment page: one establishment's inspections, the features behind its score, and its
score over past runs (`/establishment?id=...` or `?license=...`)."""
