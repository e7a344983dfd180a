"""Operations more than one feature runs: statuses, the catalog, scheduling discussions."""
