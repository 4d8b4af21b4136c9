// Package gc is the garbage collection of a replica server's logs as the
// server runs it (§13 of the format notes), as dry runs: which slog and
// plog files the server's GC would delete, which replicas hold the rest
// back, with the decree each needs and the one it has, and what releases
// it. It never writes: the plan (Report.Plan) lists, per log dir, the files
// to delete in ascending index order, for an executor to carry out.
//
// The decisions (DecidePlog, DecideSlog) are pure functions of what the
// server holds in memory when its GC runs; Run builds their inputs from a
// data root through logrules (which files mutation_log::open keeps, their
// headers), the replay model (each replica's durable decree, its plog's
// max_commit_on_disk and max decree, the slog's in-memory max decrees) and
// dataroot (.init-info offsets, data dirs), all read through the root's
// read-only vfs.FS.
//
// Sources: apache/incubator-pegasus v2.4.0 src/rdsn/src/replica/mutation_log.cpp
// and replica_stub.cpp (the ≤ 2.4 rules, the same in XiaoMi/rdsn v2.3.0),
// v2.5.0 src/replica/mutation_log.cpp, replica_stub.cpp and replica_chkpt.cpp
// (the 2.5 slog rule, the plog rule of every version), HEAD for the 2.6
// defaults.
package gc
