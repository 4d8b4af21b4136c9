package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/waltool/waltool/internal/iec"
)

// progressMin is the input size from which dump and replay show a bar:
// below it they finish before a bar would tell anything.
const progressMin = 64 << 20

// rateAfter is how long a bar runs before it shows a rate: the first
// callbacks come in bursts (a file read from the page cache at once), and
// a rate over milliseconds says nothing ("419 GB/s").
const rateAfter = time.Second

// progress is a one-line progress bar on a terminal: what it does, the
// percent, a bar, done and total, and the rate, in IEC units when it
// counts bytes, else as a count of its noun ("mutations/s"). A silent one
// (w nil) only counts. Safe for concurrent use.
type progress struct {
	mu          sync.Mutex
	w           io.Writer
	what, noun  string // noun "" counts bytes
	done, total int64
	start       time.Time
	shown       time.Time
	drawn       int // width of the line on screen, to clear it
	cols        int // the terminal's width, 0 when unknown
	now         func() time.Time
}

// newProgress returns a byte progress bar on stderr, or a silent one when
// stderr is not a terminal (scripts, CI) or --progress=false.
func newProgress(c *cli.Context, total int64, what string) *progress {
	return newCountProgress(c, total, what, "")
}

// newCountProgress is newProgress for a bar that counts noun ("mutations")
// rather than bytes.
func newCountProgress(c *cli.Context, total int64, what, noun string) *progress {
	f, ok := c.App.ErrWriter.(*os.File)
	if !c.Bool("progress") || !ok || !term.IsTerminal(int(f.Fd())) {
		return newBar(nil, total, what, noun, time.Now)
	}
	p := newBar(f, total, what, noun, time.Now)
	p.cols, _, _ = term.GetSize(int(f.Fd()))
	return p
}

// newLargeProgress is newProgress for commands that are usually quick
// (dump, replay): silent unless the input holds at least progressMin bytes.
func newLargeProgress(c *cli.Context, total int64, what string) *progress {
	if total < progressMin {
		return newBar(nil, total, what, "", time.Now)
	}
	return newProgress(c, total, what)
}

func newBar(w io.Writer, total int64, what, noun string, now func() time.Time) *progress {
	return &progress{w: w, what: what, noun: noun, total: total, start: now(), now: now}
}

// Add64 counts n more done.
func (p *progress) Add64(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	p.draw()
}

// Set64 sets what is done.
func (p *progress) Set64(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done = n
	p.draw()
}

// ChangeMax64 sets the total.
func (p *progress) ChangeMax64(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total = n
}

// Finish clears the bar: what the command prints next starts on a clean
// line.
func (p *progress) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.w != nil && p.drawn > 0 {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.drawn))
	}
	p.drawn = 0
	p.w = nil
}

// draw redraws the line at most every 100 ms, cut to the terminal's width
// (a wrapped line would not be redrawn in place).
func (p *progress) draw() {
	now := p.now()
	if p.w == nil || now.Sub(p.shown) < 100*time.Millisecond {
		return
	}
	p.shown = now
	line := p.line(now.Sub(p.start))
	if p.cols > 1 && len(line) >= p.cols {
		line = line[:p.cols-1]
	}
	pad := max(p.drawn-len(line), 0)
	fmt.Fprintf(p.w, "\r%s%s", line, strings.Repeat(" ", pad))
	p.drawn = len(line)
}

// line is "verify  45% [=========           ] 1.2 GiB/2.7 GiB, 412.3 MiB/s, 4s left".
func (p *progress) line(elapsed time.Duration) string {
	const width = 20
	frac := 0.0
	if p.total > 0 {
		frac = min(float64(p.done)/float64(p.total), 1)
	}
	fill := int(frac * width)
	s := fmt.Sprintf("%s %3.0f%% [%s%s] %s", p.what, 100*frac, strings.Repeat("=", fill), strings.Repeat(" ", width-fill), p.amounts())
	if elapsed < rateAfter || p.done == 0 {
		return s
	}
	rate := float64(p.done) / elapsed.Seconds()
	s += ", " + p.rate(rate)
	if left := float64(p.total-p.done) / rate; left > 0 {
		s += fmt.Sprintf(", %s left", time.Duration(left*float64(time.Second)).Round(time.Second))
	}
	return s
}

func (p *progress) amounts() string {
	if p.noun == "" {
		return iec.Bytes(p.done) + "/" + iec.Bytes(p.total)
	}
	return fmt.Sprintf("%d/%d %s", p.done, p.total, p.noun)
}

func (p *progress) rate(perSecond float64) string {
	if p.noun == "" {
		return iec.Rate(perSecond)
	}
	return fmt.Sprintf("%.0f %s/s", perSecond, p.noun)
}
