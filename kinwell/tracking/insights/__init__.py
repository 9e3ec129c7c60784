"""Community insights: privacy-safe aggregates of members' tracking, for each
community and each cluster, computed in the background (refresh, tasks,
compute) under the disclosure rules of `figures`, and read by the pages from
one stored snapshot."""
