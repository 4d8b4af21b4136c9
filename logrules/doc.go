// Package logrules is the server's rules for one mutation log, written once
// and used by replay, verify, gc, migrate and the plog writer's reopen:
//
//   - which files mutation_log::open keeps (the first-block rule: a file
//     whose block 0 is empty or incomplete is skipped, any other first-block
//     damage fails the open);
//   - where a replay starts (the private- and shared-log file filters of
//     mutation_log::open);
//   - how mutation_log::replay chains files (consecutive indices, each file
//     starting where the previous one's valid data ends, torn tails ending a
//     file, any other damage fatal).
//
// It sits between the codec (format: bytes, blocks, headers, mutations,
// which has no policy) and the per-replica models (replay, gc, migrate).
// Sources: apache/incubator-pegasus v2.4.0/v2.5.0 src/replica/mutation_log.cpp
// and mutation_log_replay.cpp; the same in XiaoMi/rdsn v2.3.0.
package logrules
