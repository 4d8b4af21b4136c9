// Package serversim is what a Pegasus replica server of a given version
// writes next to a data root, and its crash: the evidence a downgrade needs
// that "the next writes are safe". Write starts the server on the root (a
// replay under that version, replay.Run, gives each loaded replica's
// committed decree, ballot and max decree), lets a new primary of every
// loaded replica write a few mutations, acknowledging each as that version
// does, and crashes it mid-write; Lost restarts a server of a version on
// the result and lists the acknowledged writes it does not recover.
//
// What each version writes (pegasus-log-format.md sections 10, 12, 15, 21):
//
//   - 2.4, 2.5, 2.6: the plog is the WAL. Every mutation is appended to its
//     replica's plog and acknowledged once the append is synced (rdsn #1007:
//     replica::init_prepare appends to _private_log with the ack callback
//     on_append_log_completed). Each plog continues as after a restart, a
//     new file log.<last+1>.<end> (mutation_log::open, then
//     create_new_log_file; format/plog.ReadState). The slog dir is not
//     written.
//   - 2.3: the slog is the WAL. Mutations of every replica are group
//     committed into the shared log (mutation_log_shared::append,
//     write_pending_mutations) and acknowledged once their batch is
//     written; the plog is appended afterwards, asynchronously
//     (replica::on_append_log_completed, rdsn v2.3.0 replica_2pc.cpp), and
//     lags: at the crash each replica's plog misses a random tail of its
//     acknowledged mutations, which only the slog holds.
//
// Memory is bounded by one batch: mutations are built, written and hashed
// one batch at a time; only their content hashes are kept.
package serversim
