-- Whether the handler of a claimed timer has started under its current claim (0 or 1). A claim that
-- lapses with its handler started was a process that died running it: the next claim counts that as a
-- failed attempt, so a timer whose handler kills its process every time is dropped after the scheduler's
-- most attempts instead of crash-looping every process that takes it over. Timers claimed in the same
-- batch but not yet started lose nothing. A clean stop's release, a retry and a move clear it.
ALTER TABLE timers ADD COLUMN started INTEGER NOT NULL DEFAULT 0;
