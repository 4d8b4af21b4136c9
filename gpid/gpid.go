// Package gpid is the identity of a Pegasus replica, <app_id>.<partition_index>,
// as the server prints it and stores it on disk. It is a leaf: the codec,
// the findings and every model use it.
package gpid

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Gpid identifies one replica: a partition of an app. Pegasus prints it as
// "<app_id>.<partition_index>" and stores it on disk as one little-endian
// uint64 with app_id in the low 32 bits (src/common/gpid.h).
type Gpid struct {
	App       int32
	Partition int32
}

// Uint64 is the on-disk union value of the gpid.
func (g Gpid) Uint64() uint64 {
	return uint64(uint32(g.App)) | uint64(uint32(g.Partition))<<32
}

// FromUint64 splits the on-disk union value.
func FromUint64(v uint64) Gpid {
	return Gpid{App: int32(uint32(v)), Partition: int32(uint32(v >> 32))}
}

func (g Gpid) String() string {
	return strconv.FormatInt(int64(g.App), 10) + "." + strconv.FormatInt(int64(g.Partition), 10)
}

// Less orders gpids as Pegasus's std::map<gpid, ...> does: app id, then partition.
func (g Gpid) Less(o Gpid) bool {
	if g.App != o.App {
		return g.App < o.App
	}
	return g.Partition < o.Partition
}

// ParseError is a string that is no gpid, and why, in words for people.
type ParseError struct {
	Input  string
	Reason string
}

func (e *ParseError) Error() string { return fmt.Sprintf("gpid %q: %s", e.Input, e.Reason) }

// Parse parses "<app_id>.<partition_index>".
func Parse(s string) (Gpid, error) {
	a, p, ok := strings.Cut(s, ".")
	if !ok {
		return Gpid{}, &ParseError{s, "want <app_id>.<partition_index>, as 1.4"}
	}
	app, err := parseInt32(s, a, "app id")
	if err != nil {
		return Gpid{}, err
	}
	pidx, err := parseInt32(s, p, "partition index")
	if err != nil {
		return Gpid{}, err
	}
	return Gpid{App: app, Partition: pidx}, nil
}

func parseInt32(s, part, what string) (int32, error) {
	n, err := strconv.ParseInt(part, 10, 32)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return 0, &ParseError{s, "the " + what + " is too large"}
	case err != nil:
		return 0, &ParseError{s, "the " + what + " must be a whole number"}
	}
	return int32(n), nil
}

// MarshalText makes gpids usable as JSON object keys ("1.4").
func (g Gpid) MarshalText() ([]byte, error) { return []byte(g.String()), nil }

// UnmarshalText is the inverse of MarshalText.
func (g *Gpid) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*g = v
	return nil
}
