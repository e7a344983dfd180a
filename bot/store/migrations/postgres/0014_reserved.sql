-- Placeholder: another change of issue 18 takes number 0014. This file only keeps the numbering
-- without gaps on this branch; at merge it is replaced by that change's 0014 migration.
SELECT 1;
