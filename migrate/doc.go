// Package migrate is the core of `waltool migrate upgrade` and `migrate
// downgrade`.
//
// The upgrade folds the slog mutations a Pegasus 2.4/2.5 server would
// append to each replica's private log at start-up (replica::replay_mutation,
// §12.2 of the format notes) into new plog files written exactly as the
// server writes them, so that a 2.6 server, which never reads the slog,
// recovers what 2.4 recovers; archives the slog files; and proves the
// equivalence by replaying both roots.
//
// The downgrade keeps the plogs as the truth and makes the slog dir what a
// 2.5, 2.4 or 2.3 server needs (docs/downgrade-rules.md); its proof replays
// the result under the target's rules and lets the target write next and
// crash (serversim) on an in-memory overlay.
//
// Planning only reads. Apply changes the root only through a Steps (the
// journal's, or DirectSteps), each file created through a temporary name
// and a rename, so that a crash leaves either the whole file or none. Each
// plan keeps a Listing of the root's log files, so that a rollback refuses
// a root a server has written to since.
package migrate
