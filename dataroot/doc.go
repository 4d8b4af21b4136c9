// Package dataroot models the directories of one Apache Pegasus replica
// server: the shared-log (slog) directory, the data dirs, and the replica
// dirs in them with their .init-info, .app-info and checkpoint directories.
//
// Resolve decides what a path an operator gives names (a log file, a log
// dir, a replica dir or a data root) and lists the log dirs it covers.
//
// Discovery (Resolve, Open and the Read* functions) only reads: it never creates,
// renames, deletes or writes anything, even where Pegasus itself would
// (it deletes stray checkpoint dirs and renames failed replicas to *.err on
// start). Those situations are reported as Findings instead.
//
// The Write* functions and CreateReplicaDir exist for test and fixture
// generators; they write byte-for-byte what Pegasus writes.
//
// Layout (Pegasus 2.4/2.5, src/common/replication_common.cpp
// replication_options::initialize and get_data_dir_and_tag):
//
//	<core.data_dir>/replica/slog/                      slog_dir unset
//	<slog_dir>/replica/slog/                           [replication] slog_dir = <slog_dir>
//	<core.data_dir>/replica/reps/                      data_dirs unset (tag "default")
//	<path>/replica/reps/                               data_dirs = tag:<path>,...
//	<reps>/<app_id>.<pidx>.<app_type>/                 one replica (fs_manager.cpp dir_node::replica_dir)
//	    .app-info   .init-info   plog/   data/rdb/   data/checkpoint.<decree>/
//
// Sources: github.com/apache/incubator-pegasus tags v2.4.0 (rdsn under
// src/rdsn/), v2.5.0 and master (2.6-dev, "HEAD" below). Where this
// package mirrors a Pegasus function the comment names it.
package dataroot
