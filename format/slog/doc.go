// Package slog is the shared log of Pegasus ≤ 2.3 (mutation_log_shared):
// one log per replica server, in which the mutations of every replica are
// interleaved, written by one writer with one outstanding write and a
// pending batch filling meanwhile (group commit), and whose file headers
// list every replica registered with the log.
//
// format.LogWriter does the layout (files, blocks, offsets, CRC chain,
// rotation); this package keeps what only the shared log has: the
// per-replica header map (Replicas) and the group commit (Writer). Pegasus
// 2.4 removed the shared log; waltool writes it to build sample data roots
// (fixtures), to measure it (benchmark) and to write what a downgrade
// needs.
package slog
