-- Calendar export: a discussion's revision number, raised whenever its time or state changes, so a
-- calendar app re-importing the club's .ics replaces the entry it has (RFC 5545 SEQUENCE).
ALTER TABLE discussions ADD COLUMN sequence BIGINT  NOT NULL DEFAULT 0;
