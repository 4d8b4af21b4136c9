// Package migrate is the core of `waltool migrate upgrade`: it folds the
// slog mutations a Pegasus 2.4/2.5 server would append to each replica's
// private log at start-up (replica::replay_mutation, §12.2 of the format
// notes) into new plog files written exactly as the server writes them, so
// that a 2.6 server, which never reads the slog, recovers what 2.4 recovers;
// archives the slog files; and proves the equivalence by replaying both
// roots.
//
// PlanUpgrade only reads. Fold and Archive change the root only through a
// Steps (the journal's, or DirectSteps), each file created through a
// temporary name and a rename, so that a crash leaves either the whole file
// or none. Prove replays the new root under the 2.6 rules and compares
// every replica with the plan's before-state.
package migrate
