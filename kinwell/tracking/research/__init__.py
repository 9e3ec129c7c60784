"""Research access: researchers request datasets from a community, its
organisers approve or refuse, and approved requests are released as
de-identified records (CSV or FHIR) or as counts with differential privacy,
built from the members who consented at the moment of release.

`services` holds the requests and decisions; `release` builds, records and
serves releases, from the members and records `members` chooses; `deid`
makes pseudonyms and date shifts; `privacy` the counts with differential
privacy; `files` keeps the files privately; `register` is the community's
public data-release register; `access` says who may see what."""
