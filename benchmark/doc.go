// Package benchmark is what `waltool bench` measures: waltool's reads
// against the machine's ceiling (CRC-32C over every byte on every core),
// the verify and replay commands timed as child processes, and durable
// write throughput and latency through one shared log, per-replica plogs,
// the parallel plog writer, raw I/O ceilings and etcd's WAL, one WriteMode
// each. cmd/waltool only parses flags and prints; docs/writer.md has the
// model behind the write modes.
package benchmark
