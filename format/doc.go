// Package format is the one codec for Pegasus mutation logs, shared by the
// shared log (slog) and the private logs (plog): file names, blocks, the
// chained CRC-32C, the file header and mutation records, read and written
// byte-for-byte as Pegasus 2.3 to 2.6 do. It has no policy: which files a
// server opens, where its replay starts and how files chain live in
// logrules/; what it recovers, collects or ignores in replay/ and gc/.
//
// A log file is a sequence of blocks with no padding and no trailer:
//
//	file   := block0 block1 ... blockN
//	block  := header(16 bytes) body(length bytes)
//	block0 := header + file header (+ replica_log_info map)
//	blockK := header + one or more whole mutations (K >= 1)
//
// Block header, little-endian, part of the on-disk format:
//
//	0 magic 0xdeadbeef | 4 length (body only) | 8 body_crc | 12 local_offset
//
// body_crc chains within one file: body_crc[k] = CRC-32C(body_0 ‖ … ‖ body_k),
// so a block can only be checked after every earlier block of its file
// (log_file::commit_log_blocks / read_next_log_block, src/replica/log_file.cpp).
//
// Offsets: every log (one slog per server, one plog per replica) has a global
// offset space. A file named log.<index>.<start> holds global offsets
// [start, start+size); a mutation's log_offset is the global offset of its
// first byte, and replay checks it. See docs/format.md for the full spec.
package format
