package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/waltool/waltool/decrees"
	"github.com/waltool/waltool/dump"
	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/replay"
	"github.com/waltool/waltool/vfs"
)

func replayCommand() *cli.Command {
	return &cli.Command{
		Name:      "replay",
		Usage:     "show what a Pegasus server of a given version recovers from a data root, and what it would lose",
		ArgsUsage: "ROOT",
		Description: "ROOT is a data root or a replica dir. An exact offline model of the server's startup replay: " +
			"every plog, then the slog (<= 2.5), with the prepare-list rules. Read-only. Exit 0 when every replica " +
			"opens and nothing is lost under the chosen version, 1 otherwise.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "server-version", Value: "2.4", Usage: "2.3, 2.4, 2.5 or 2.6 (2.6 ignores the slog)"},
			&cli.StringFlag{Name: "durable-decrees", Usage: "JSON file mapping \"1.4\" to the app's durable decree (default: the largest data/checkpoint.<d>)"},
			&cli.StringFlag{Name: "emit", Usage: "print this replica's recovered mutation stream as JSON Lines, in commit order"},
			&cli.BoolFlag{Name: "json", Usage: "print one JSON document"},
		}, rootFlags()...),
		Action: runReplay,
	}
}

func runReplay(c *cli.Context) error {
	if c.NArg() != 1 {
		return usagef(c, "takes one ROOT, got %d arguments", c.NArg())
	}
	v, err := replay.ParseVersion(c.String("server-version"))
	if err != nil {
		return usagef(c, "--server-version: %v", err)
	}
	t, err := resolve(c, c.Args().First())
	if err != nil {
		return err
	}
	if t.Root == nil {
		return fmt.Errorf("%s is a %s; replay needs a data root or a replica dir", t.Path, t.What())
	}
	opts := replay.Options{Version: v}
	if p := c.String("durable-decrees"); p != "" {
		b, err := vfs.ReadFile(readOnlyFS, p, 64<<20)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &opts.DurableDecrees); err != nil {
			return fmt.Errorf("%s: want {\"1.4\": 1234, ...}: %w", p, err)
		}
	}
	out := bufio.NewWriter(c.App.Writer)
	defer out.Flush()
	if s := c.String("emit"); s != "" {
		g, err := gpid.Parse(s)
		if err != nil {
			return err
		}
		opts.EmitGpid = &g
		opts.Emit = func(m *format.Mutation, committed bool) error {
			return emitJSON(out, m, committed)
		}
	}
	res, err := replay.Run(t.Root, opts)
	if err := c.Context.Err(); err != nil {
		return err
	}
	if err != nil {
		return err
	}
	switch {
	case opts.Emit != nil:
	case c.Bool("json"):
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	default:
		printReplay(out, res)
	}
	if err := out.Flush(); err != nil {
		return err
	}
	if !res.OK {
		return findings("")
	}
	return nil
}

type emitRecord struct {
	dump.Record
	Committed bool `json:"committed"`
}

func emitJSON(w io.Writer, m *format.Mutation, committed bool) error {
	r := emitRecord{Committed: committed, Record: dump.Record{
		LogOffset: m.LogOffset, LogLength: m.Size(), Gpid: m.Gpid.String(), Ballot: m.Ballot, Decree: m.Decree,
		LastCommittedDecree: m.LastCommittedDecree, TimestampUs: m.Timestamp, Updates: make([]dump.UpdateJSON, len(m.Updates)),
	}}
	for i, u := range m.Updates {
		r.Updates[i] = dump.UpdateJSON{Code: u.Code, SerializationType: u.SerializationType, Size: len(u.Data)}
	}
	b, err := json.Marshal(&r)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

func printReplay(w io.Writer, res *replay.Result) {
	fmt.Fprintf(w, "Pegasus %s replay", res.ServerVersion)
	if res.Slog != nil {
		read := "read"
		if !res.Slog.Read {
			read = "IGNORED by this version"
		}
		fmt.Fprintf(w, " (slog %s: %d files, %d mutations, %s)", res.Slog.Dir, res.Slog.Files, res.Slog.Mutations, read)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "GPID\tDURABLE\tCOMMITTED\tPREPARED\tPLOG DECREES\tSLOG-ONLY\tAPPENDED\tLOST\tSTATUS")
	for _, r := range res.Replicas {
		status := "ok"
		switch {
		case r.Error != "":
			status = "ERROR: " + r.Error
		case len(r.Lost) > 0:
			status = fmt.Sprintf("LOSES %d decrees", decrees.Count(r.Lost))
		case r.LogIncomplete:
			status = "log incomplete (2.3 marks all replicas inactive)"
		}
		plog := "-"
		if r.Plog.Mutations > 0 {
			plog = fmt.Sprintf("%d..%d", r.Plog.MinDecree, r.Plog.MaxDecree)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%d\t%s\t%s\n", r.Gpid, r.DurableDecree, r.CommittedDecree,
			decrees.Format(r.Prepared), plog, decrees.Format(r.SlogOnlyDecrees), r.AppendedFromSlog, decrees.Format(r.Lost), status)
	}
	tw.Flush()
	for _, o := range res.Orphans {
		fmt.Fprintf(w, "orphan %s: %d slog mutations (decrees %d..%d) dropped: %s\n", o.Gpid, o.Mutations, o.MinDecree, o.MaxDecree, o.Reason)
	}
	if res.Abort != "" {
		fmt.Fprintf(w, "ABORT: the server crashes while replaying: %s\n", res.Abort)
	}
	if res.Slog != nil && res.Slog.Error != "" {
		fmt.Fprintf(w, "SLOG ERROR: %s\n", res.Slog.Error)
	}
	if res.OK {
		fmt.Fprintf(w, "OK: every replica opens and nothing is lost under %s\n", res.ServerVersion)
	} else {
		fmt.Fprintf(w, "FAILED: under %s at least one replica fails to open or loses data\n", res.ServerVersion)
	}
}
