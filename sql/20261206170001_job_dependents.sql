-- The dependency follower's record of which jobs wait for which job that has not ended yet: written
-- in the transaction that moves its checkpoint past the `JobQueued` naming them, and dropped in the
-- one that moves it past the dependency's final event, after the waiting jobs were told.
CREATE TABLE job_dependents (
  dependency text NOT NULL,
  dependent  text NOT NULL,
  PRIMARY KEY (dependency, dependent)
);
