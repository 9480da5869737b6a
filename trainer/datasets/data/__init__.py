"""Package data: data sets that ship with tensorlet (see each folder's README.md)."""
